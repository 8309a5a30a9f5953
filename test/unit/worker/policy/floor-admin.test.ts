/**
 * The floor for what the red team found past the first floor (docs/SECURITY-REVIEW.md): disks,
 * accounts, packages and firmware, agents a daemon trusts, secrets by another name or by
 * exfiltration, and file managers that write autostart entries. Each class has members the
 * red-team suites do not name (other daemons, spellings, argument shapes); the last block is what
 * must keep working (over-blocking is a defect too).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClassifyInput } from '../../../../src/worker/policy/classify.js';
import { classify, isSecretProperty } from '../../../../src/worker/policy/classify.js';
import type { OperationKind } from '../../../../src/worker/policy/levels.js';

type Row = [iface: string, member: string, names?: string[], args?: unknown[]];

function judge(iface: string, member: string, extra: Partial<ClassifyInput> = {}) {
  return classify({
    bus: 'system',
    names: ['com.example.Anything'],
    path: '/',
    interface: iface,
    member,
    access: 'call',
    ...extra,
  });
}

const label = ([iface, member, names, args]: Row) =>
  `${iface}.${member}${args ? `(${JSON.stringify(args)})` : ''}${names ? ` on ${names.join(',')}` : ''}`;

function refusesAll(title: string, rows: Row[]): void {
  describe(title, () => {
    for (const row of rows) {
      const [iface, member, names, args] = row;
      it(label(row), () => {
        for (const bus of ['session', 'system'] as const) {
          const c = judge(iface, member, { bus, ...(names ? { names } : {}), ...(args ? { args } : {}) });
          assert.equal(c.kind, 'forbidden', `${bus}: ${c.reason}`);
        }
      });
    }
  });
}

const UDISKS = ['org.freedesktop.UDisks2'];
refusesAll('disks: what rewrites a partition table, a superblock, a label or fstab', [
  ['org.freedesktop.UDisks2.LogicalVolume', 'Resize', UDISKS],
  ['org.freedesktop.UDisks2.LogicalVolume', 'Delete', UDISKS],
  ['org.freedesktop.UDisks2.VolumeGroup', 'Delete', UDISKS],
  ['org.freedesktop.UDisks2.VolumeGroup', 'AddDevice', UDISKS],
  ['org.freedesktop.UDisks2.VolumeGroup', 'CreatePlainVolume', UDISKS],
  ['org.freedesktop.UDisks2.MDRaid', 'AddDevice', UDISKS],
  ['org.freedesktop.UDisks2.Filesystem', 'SetUUID', UDISKS],
  ['org.freedesktop.UDisks2.Partition', 'SetFlags', UDISKS],
  ['org.freedesktop.UDisks2.Encrypted', 'Resize', UDISKS],
  ['org.freedesktop.UDisks2.Block', 'UpdateConfigurationItem', UDISKS],
  ['org.freedesktop.UDisks2.Block', 'RemoveConfigurationItem', UDISKS],
  ['org.freedesktop.UDisks2.Block', 'SomethingNew', UDISKS],
  ['com.example.Storage', 'WipeDevice'],
  ['com.example.Storage', 'wipe_disk'],
  ['com.example.Storage', 'ShredDisk'],
  ['com.example.Storage', 'Mkfs'],
  ['com.example.Storage', 'ResizePartition'],
  ['com.example.Storage', 'DeletePartition'],
  ['com.example.Storage', 'CreateVolumeGroup'],
  ['com.example.Storage', 'SetPartitionType'],
  ['com.example.Storage', 'FORMAT'],
  ['com.redhat.lvmdbus1.Manager', 'PvCreate', ['com.redhat.lvmdbus1']],
  ['com.redhat.lvmdbus1.Vg', 'Remove', ['com.redhat.lvmdbus1']],
  ['org.storage.stratis3.Manager.r0', 'CreatePool', ['org.storage.stratis3']],
]);

const ACCOUNTS = ['org.freedesktop.Accounts'];
refusesAll('accounts: who may log in, how, and as what', [
  ['org.freedesktop.Accounts.User', 'SetPasswordExpirationPolicy', ACCOUNTS],
  ['org.freedesktop.Accounts.User', 'SetUserExpirationPolicy', ACCOUNTS],
  ['org.freedesktop.Accounts.User', 'SetShell', ACCOUNTS],
  ['org.freedesktop.Accounts.User', 'SetSomethingNew', ACCOUNTS],
  ['org.freedesktop.Accounts', 'SomethingNew', ACCOUNTS],
  ['com.example.Users', 'LockUser'],
  ['com.example.Users', 'RenameAccount'],
  ['com.example.Users', 'SetAutoLogin'],
  ['com.example.Users', 'EnableAutomaticLogin'],
  ['com.example.Users', 'set_home_directory'],
  ['com.example.Users', 'AddLocalUser'],
  ['com.example.Users', 'DisableAccount'],
  ['org.freedesktop.realmd.Kerberos', 'Join', ['org.freedesktop.realmd']],
  ['org.freedesktop.realmd.Realm', 'Deconfigure', ['org.freedesktop.realmd']],
]);

refusesAll('packages and firmware: daemons, sources, keys, updates by other names', [
  ['org.freedesktop.fwupd', 'SetBiosSettings', ['org.freedesktop.fwupd']],
  ['org.freedesktop.fwupd', 'ModifyConfig', ['org.freedesktop.fwupd']],
  ['org.freedesktop.fwupd', 'SomethingNew', ['org.freedesktop.fwupd']],
  ['org.debian.apt', 'InstallFile', ['org.debian.apt']],
  ['org.debian.apt.transaction', 'Simulate2', ['org.debian.apt']],
  ['org.debian.apt', 'UpdateCachePartially', ['org.debian.apt']],
  ['com.ubuntu.SoftwareProperties', 'ToggleSourceUse', ['com.ubuntu.SoftwareProperties']],
  ['org.rpm.dnf.v0.rpm.Rpm', 'upgrade', ['org.rpm.dnf.v0']],
  ['org.rpm.dnf.v0.rpm.Repo', 'enable', ['org.rpm.dnf.v0']],
  // A daemon whose introspection hides behind a harmless interface is still a package daemon.
  ['com.example.Harmless', 'DoIt', ['org.debian.apt']],
  ['com.example.Harmless', 'DoIt', ['org.freedesktop.fwupd']],
  ['com.example.Updater', 'ApplyUpdate'],
  ['com.example.Updater', 'StageUpgrade'],
  ['com.example.Updater', 'ScheduleUpdates'],
  ['com.example.Updater', 'AddRepo'],
  ['com.example.Updater', 'EnableRepository'],
  ['com.example.Updater', 'add_ppa'],
  ['com.example.Updater', 'ImportSigningKey'],
  ['com.example.Updater', 'AddVendorKey'],
  ['com.example.Updater', 'FlashBios'],
  ['com.example.Updater', 'WriteFirmware'],
  ['com.example.Updater', 'UpdateMicrocode'],
  ['org.freedesktop.Application', 'ActivateAction', ['org.kde.discover'], ['install-resources', [], {}]],
  ['org.gtk.Actions', 'Activate', ['org.gnome.Software'], ['app.reboot-and-install', [], {}]],
  ['org.gtk.Actions', 'Activate', ['org.gnome.Software'], ['filename', [], {}]],
]);

const POLKIT = ['org.freedesktop.PolicyKit1'];
const SUBJECT = ['unix-process', { pid: { signature: 'u', value: 1 } }];
refusesAll('agents a daemon trusts, and asking the human for another process', [
  ['org.bluez.obex.AgentManager1', 'RegisterAgent', ['org.bluez.obex']],
  ['org.bluez.AgentManager1', 'RegisterAgent', ['org.bluez']],
  [
    'org.freedesktop.NetworkManager.AgentManager',
    'RegisterWithCapabilities',
    ['org.freedesktop.NetworkManager'],
  ],
  ['org.example.AgentManager2', 'Register'],
  ['com.example.Broker', 'RegisterSecretAgent'],
  ['com.example.Broker', 'register_agent'],
  ['org.freedesktop.PolicyKit1.Authority', 'AuthenticationAgentResponse', POLKIT],
  ['org.freedesktop.PolicyKit1.Authority', 'SomethingNew', POLKIT],
  ['org.freedesktop.PolicyKit1.Authority', 'CheckAuthorization', POLKIT, [SUBJECT, 'x', {}, 1, '']],
  ['org.freedesktop.PolicyKit1.Authority', 'CheckAuthorization', POLKIT, [SUBJECT, 'x', {}, 3, '']],
  [
    'org.freedesktop.PolicyKit1.Authority',
    'CheckAuthorization',
    POLKIT,
    [SUBJECT, 'x', {}, { signature: 'u', value: 1 }, ''],
  ],
  ['org.freedesktop.PolicyKit1.Authority', 'CheckAuthorization', POLKIT, [SUBJECT, 'x', {}, 'one', '']],
]);

refusesAll('secrets by another name, another store, or by sending a file away', [
  ['com.example.Vault', 'GetGpgKey'],
  ['com.example.Vault', 'ReadSessionKey'],
  ['com.example.Vault', 'GetCookies'],
  ['com.example.Vault', 'export_ssh_key'],
  ['org.kde.KPasswdServer', 'queryAuthInfo', ['org.kde.kpasswdserver']],
  ['org.kde.KPasswdServer', 'checkAuthInfoAsync', ['org.kde.kpasswdserver']],
  ['org.kde.KCookieServer', 'findDOMCookies', ['org.kde.kcookiejar5']],
  ['com.google.code.AccountsSSO.SingleSignOn.Identity', 'requestCredentialsUpdate'],
  ['org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface', 'ChangeWithPrompt'],
  ['org.bluez.obex.MessageAccess1', 'PushMessage', ['org.bluez.obex']],
  ['org.bluez.obex.FileTransfer1', 'GetFile', ['org.bluez.obex']],
  ['org.bluez.obex.PhonebookAccess1', 'PullAll', ['org.bluez.obex']],
  ['org.kde.kdeconnect.device.share', 'shareUrl', ['org.kde.kdeconnect']],
  ['com.example.Sync', 'UploadFile'],
  ['org.kde.kdeconnect.device.share', 'openFile', ['org.kde.kdeconnect']],
  ['org.gtk.Actions', 'Activate', ['org.gnome.Shell.Extensions.GSConnect'], ['shareFile', [], {}]],
  ['com.example.Sync', 'send_files'],
  ['org.gtk.vfs.Mount', 'Push', [':1.9']],
  ['org.gtk.vfs.Mount', 'Pull', [':1.9']],
  ['com.example.Vault', 'ExportKeys'],
  ['com.example.Vault', 'DumpKeyring'],
  ['com.example.Vault', 'BackupWallet'],
  ['com.example.Net', 'GetWifiKey'],
  ['com.example.Net', 'get_wpa_key'],
]);

refusesAll('code execution by files the desktop runs later, and extensions', [
  ['org.gnome.Nautilus.FileOperations2', 'MoveURIs', ['org.gnome.Nautilus']],
  ['org.gnome.Nautilus.FileOperations2', 'RenameURI', ['org.gnome.Nautilus']],
  ['org.gnome.Nautilus.FileOperations', 'CopyFile', ['org.gnome.Nautilus']],
  ['org.Nemo.FileOperations', 'CopyURIs', ['org.Nemo']],
  ['org.mate.Caja.FileOperations', 'CopyURIs', ['org.mate.Caja']],
  ['org.gnome.Shell.Extensions', 'EnableExtension', ['org.gnome.Shell']],
  ['org.gnome.Shell.Extensions', 'ReloadExtension', ['org.gnome.Shell']],
]);

describe('secret properties by name and by curated knowledge', () => {
  it('Telepathy account Parameters (the password lives there) is a secret, its DisplayName is not', () => {
    assert.equal(isSecretProperty('org.freedesktop.Telepathy.Account', 'Parameters'), true);
    assert.equal(isSecretProperty('org.freedesktop.Telepathy.Account', 'DisplayName'), false);
    assert.equal(isSecretProperty('com.example.Other', 'Parameters'), false);
    assert.equal(isSecretProperty('', 'ClientSecret'), true);
  });
  it('reading Parameters, or GetAll of a Telepathy account, is secret retrieval', () => {
    const iface = 'org.freedesktop.Telepathy.Account';
    assert.equal(judge(iface, 'Parameters', { bus: 'session', access: 'get' }).kind, 'forbidden');
    assert.equal(judge(iface, '', { bus: 'session', access: 'getall' }).kind, 'forbidden');
    assert.equal(judge(iface, 'DisplayName', { bus: 'session', access: 'get' }).kind, 'read');
  });
});

type Keep = [iface: string, member: string, kind: OperationKind, names?: string[], args?: unknown[]];
const keeps: Keep[] = [
  // Everyday names that share a word with a floor class.
  ['com.example.Mixer', 'SetVolume', 'call'],
  ['com.example.Clock', 'SetFormat', 'call'],
  ['com.example.Calc', 'FormatNumber', 'call'],
  ['com.example.Editor', 'EraseHistory', 'call'],
  ['com.example.Chat', 'SendMessage', 'call'],
  ['com.example.Chat', 'ShareText', 'call'],
  ['com.example.Files', 'CopyURIs', 'call'],
  ['com.example.Seats', 'GetSessionForCookie', 'read'],
  ['com.example.Keys', 'GetSshKeyFingerprint', 'read'],
  ['com.example.Keys', 'GetPublicKey', 'read'],
  ['com.example.Keys', 'ListKeys', 'read'],
  ['com.example.Keys', 'ExportSettings', 'call'],
  ['org.gtk.vfs.Mount', 'QueryInfo', 'call', [':1.9']],
  ['com.example.Agents', 'GetDefaultAgent', 'read'],
  ['com.example.Updater', 'GetUpdates', 'read'],
  ['com.example.Updater', 'ListRepositories', 'read'],
  ['com.example.Firmware', 'GetFirmwareVersion', 'read'],
  // The desktop's everyday disk and account use.
  ['org.freedesktop.UDisks2.Filesystem', 'Mount', 'system_change', UDISKS],
  ['org.freedesktop.UDisks2.Filesystem', 'Unmount', 'system_change', UDISKS],
  ['org.freedesktop.UDisks2.Encrypted', 'Unlock', 'system_change', UDISKS],
  ['org.freedesktop.UDisks2.Drive', 'Eject', 'system_change', UDISKS],
  ['org.freedesktop.UDisks2.Manager', 'GetBlockDevices', 'read', UDISKS],
  ['org.freedesktop.UDisks2.Block', 'GetConfiguration', 'read', UDISKS],
  ['org.freedesktop.Accounts.User', 'SetRealName', 'system_change', ACCOUNTS],
  ['org.freedesktop.Accounts.User', 'SetIconFile', 'system_change', ACCOUNTS],
  ['org.freedesktop.Accounts.User', 'SetLanguage', 'system_change', ACCOUNTS],
  ['org.freedesktop.Accounts', 'FindUserByName', 'read', ACCOUNTS],
  // polkit's check without asking the human is a read.
  ['org.freedesktop.PolicyKit1.Authority', 'CheckAuthorization', 'read', POLKIT, [SUBJECT, 'x', {}, 0, '']],
  ['org.freedesktop.PolicyKit1.Authority', 'EnumerateActions', 'read', POLKIT, ['']],
  // Package and firmware reads.
  ['org.freedesktop.fwupd', 'GetDevices', 'read', ['org.freedesktop.fwupd']],
  ['org.freedesktop.fwupd', 'GetRemotes', 'read', ['org.freedesktop.fwupd']],
  ['org.debian.apt', 'GetTrustedVendorKeys', 'read', ['org.debian.apt']],
  // A known daemon on an interface no entry knows: conservatively a call, never a read by name.
  ['com.example.Harmless', 'GetVersion', 'call', ['org.debian.apt']],
  ['org.freedesktop.Application', 'ActivateAction', 'call', ['org.gnome.Software'], ['search', [], {}]],
  // NetworkManager stays what it was.
  ['org.freedesktop.NetworkManager', 'GetDevices', 'read', ['org.freedesktop.NetworkManager']],
  [
    'org.freedesktop.NetworkManager',
    'ActivateConnection',
    'system_change',
    ['org.freedesktop.NetworkManager'],
  ],
  // Secret stores' listings, OBEX browsing, the file manager's trash.
  ['org.kde.KCookieServer', 'findDomains', 'read', ['org.kde.kcookiejar5']],
  ['org.bluez.obex.FileTransfer1', 'ListFolder', 'read', ['org.bluez.obex']],
  ['org.bluez.obex.Client1', 'CreateSession', 'call', ['org.bluez.obex']],
  ['org.gnome.Nautilus.FileOperations2', 'EmptyTrash', 'call', ['org.gnome.Nautilus']],
  ['org.gnome.Nautilus.FileOperations2', 'TrashURIs', 'call', ['org.gnome.Nautilus']],
  ['org.gnome.Shell.Extensions', 'DisableExtension', 'call', ['org.gnome.Shell']],
  ['org.gnome.Shell.Extensions', 'ListExtensions', 'read', ['org.gnome.Shell']],
  ['org.freedesktop.realmd.Provider', 'Discover', 'read', ['org.freedesktop.realmd'], ['example.com', {}]],
  ['org.kde.kdeconnect.device.share', 'shareText', 'call', ['org.kde.kdeconnect']],
  ['org.gtk.Actions', 'Activate', 'call', ['org.gnome.Shell.Extensions.GSConnect'], ['ring', [], {}]],
];

describe('what keeps working: reads, everyday calls, names that only share a word', () => {
  for (const [iface, member, kind, names, args] of keeps) {
    it(`${label([iface, member, names, args])} stays ${kind}`, () => {
      const c = judge(iface, member, { ...(names ? { names } : {}), ...(args ? { args } : {}) });
      assert.equal(c.kind, kind, c.reason);
    });
  }
});
