// Discord's permission arithmetic (resources/guild.mdx / topics/permissions.mdx "Permission Overwrites"):
// base = @everyone role | member roles; Administrator or ownership → everything; then channel overwrites in the order
// @everyone overwrite, role overwrites (deny all, then allow all), member overwrite.
import { PermissionFlagsBits } from 'discord-api-types/v10';

export const ALL_PERMISSIONS: bigint = Object.values(PermissionFlagsBits).reduce((acc, bit) => acc | bit, 0n);

export interface Overwrite {
  id: string;
  type: 0 | 1; // 0 role, 1 member
  allow: bigint;
  deny: bigint;
}

export interface PermissionSubject {
  guildId: string;
  ownerId: string;
  userId: string;
  roleIds: string[];
  rolePermissions: (roleId: string) => bigint | undefined;
}

export function basePermissions(s: PermissionSubject): bigint {
  if (s.userId === s.ownerId) return ALL_PERMISSIONS;
  // The @everyone role has the guild's id.
  let perms = s.rolePermissions(s.guildId) ?? 0n;
  for (const roleId of s.roleIds) perms |= s.rolePermissions(roleId) ?? 0n;
  if ((perms & PermissionFlagsBits.Administrator) !== 0n) return ALL_PERMISSIONS;
  return perms;
}

export function channelPermissions(s: PermissionSubject, overwrites: Overwrite[]): bigint {
  const base = basePermissions(s);
  if ((base & PermissionFlagsBits.Administrator) !== 0n || s.userId === s.ownerId) return ALL_PERMISSIONS;
  let perms = base;
  const everyone = overwrites.find((o) => o.type === 0 && o.id === s.guildId);
  if (everyone) perms = (perms & ~everyone.deny) | everyone.allow;
  let allow = 0n;
  let deny = 0n;
  for (const o of overwrites) {
    if (o.type === 0 && o.id !== s.guildId && s.roleIds.includes(o.id)) {
      allow |= o.allow;
      deny |= o.deny;
    }
  }
  perms = (perms & ~deny) | allow;
  const member = overwrites.find((o) => o.type === 1 && o.id === s.userId);
  if (member) perms = (perms & ~member.deny) | member.allow;
  // Without View Channel nothing else in the channel applies.
  if ((perms & PermissionFlagsBits.ViewChannel) === 0n) return 0n;
  return perms;
}

export type PermissionInput = bigint | number | string | (keyof typeof PermissionFlagsBits)[];

export function toPermissionBits(input: PermissionInput | undefined): bigint {
  if (input === undefined) return 0n;
  if (Array.isArray(input)) return input.reduce((acc, name) => acc | PermissionFlagsBits[name], 0n);
  return BigInt(input);
}
