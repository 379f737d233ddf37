/**
 * Who may do what. Discord gates slash commands by `default_member_permissions`, but guild admins can override that and
 * buttons are never gated, so the bot re-checks on every interaction with these pure rules.
 */
import { PermissionFlagsBits } from 'discord.js';

export interface MemberFacts {
  /** Total permissions of the member in the channel (interaction.memberPermissions). */
  permissions: bigint;
  /** Role ids the member has. */
  roleIds: readonly string[];
}

/** `/server` needs Administrator or Manage Server. */
export function canManageBindings(member: MemberFacts): boolean {
  return (
    (member.permissions & PermissionFlagsBits.Administrator) !== 0n ||
    (member.permissions & PermissionFlagsBits.ManageGuild) !== 0n
  );
}

/** Power actions, /cmd, /logs and the panel also accept the binding's moderator role. */
export function isModerator(member: MemberFacts, binding: { moderatorRoleId?: string | undefined }): boolean {
  if (canManageBindings(member)) return true;
  return binding.moderatorRoleId !== undefined && member.roleIds.includes(binding.moderatorRoleId);
}
