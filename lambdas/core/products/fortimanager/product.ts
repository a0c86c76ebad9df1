/** FortiManager >= 7.2.2: admins and profiles through JSON-RPC, keys on its CLI over SSH. */
import { ApiKeyMaterial } from '../material.ts';
import {
  ADMIN_TOKEN_FLAGS,
  adminTokenDefinition,
  type ProductDefinition,
  vdomOutsideTarget,
  vdomScope,
} from '../product.ts';
import { FortiManagerTarget, rpcPermitBeyondPolicy } from './target.ts';

export const fortimanager = {
  name: 'fortimanager',
  displayName: 'FortiManager',
  target: FortiManagerTarget,
  material: ApiKeyMaterial,
  requestFields: {
    accessProfile: 'admin profile the API user gets; created when absent',
    trustedHosts: 'source addresses allowed to use the key (CIDR or address and mask)',
    rpcPermit:
      "JSON-RPC access of the API user, `read` (the default) or `read-write`, at most the target's maxRpcPermit",
  },
  // FortiManager's predefined profiles (Administration Guide, "Administrator profiles":
  // https://help.fortinet.com/fmgr/50hlp/56/5-6-2/FMG-FAZ/0900_Administrators/0400_Admin%20Profiles/0000_Adminstrator%20Profiles.htm),
  // and No_Permission_User, predefined since 6.x.
  builtInProfiles: ['Super_User', 'Standard_User', 'Restricted_User', 'Package_User', 'No_Permission_User'],
  checkRequest(target, request) {
    const beyondPolicy = rpcPermitBeyondPolicy(target, request.rpcPermit);
    return [...vdomOutsideTarget(target, request), ...(beyondPolicy ? [beyondPolicy] : [])];
  },
  deviceScope: vdomScope,
  targetFlags: {
    options: [
      ...ADMIN_TOKEN_FLAGS,
      { flag: '--ssh-user <name>', description: 'SSH user that may run `execute api-user generate-key`' },
      { flag: '--ssh-port <port>', description: 'SSH port (default 22)' },
      {
        flag: '--ssh-host-key <SHA256:...>',
        description: 'pinned SSH host key fingerprint (`ssh-keygen -lf`)',
      },
      { flag: '--ssh-password-file <file>', description: 'file holding the SSH password' },
    ],
    async definition(input) {
      const { flags } = input;
      const definition = await adminTokenDefinition(input);
      if (!flags.sshUser) return definition;
      const passwordFile = flags.sshPasswordFile as string | undefined;
      const ssh = {
        port: flags.sshPort ? Number(flags.sshPort) : undefined,
        username: flags.sshUser,
        hostKeySha256: flags.sshHostKey,
        password: passwordFile ? (await input.readSecret(passwordFile, 4096)).trim() : undefined,
      };
      return { ...definition, ssh };
    },
  },
} as const satisfies ProductDefinition<'fortimanager', typeof FortiManagerTarget, typeof ApiKeyMaterial>;
