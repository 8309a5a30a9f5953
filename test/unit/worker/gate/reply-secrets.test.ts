import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replyWithoutSecrets, signalWithoutSecrets } from '../../../../src/worker/gate/reply-secrets.js';

const getAll = {
  interface: 'org.freedesktop.DBus.Properties',
  member: 'GetAll',
  signature: 's',
  body: ['x'],
};
const managed = {
  interface: 'org.freedesktop.DBus.ObjectManager',
  member: 'GetManagedObjects',
  signature: '',
  body: [],
};

describe('bulk property reads come back without secret-named properties', () => {
  it('GetAll', () => {
    const reply = { signature: 'a{sv}', body: [{ Label: 1, Password: 2, AccessToken: 3, PasswordMode: 4 }] };
    assert.deepEqual(replyWithoutSecrets(getAll, reply).body, [{ Label: 1, PasswordMode: 4 }]);
  });
  it('GetManagedObjects, every object and interface', () => {
    const reply = {
      signature: 'a{oa{sa{sv}}}',
      body: [{ '/a': { 'x.Y': { ClientSecret: 1, ClientId: 2 }, 'x.Z': {} }, '/b': { 'x.Y': { psk: 3 } } }],
    };
    assert.deepEqual(replyWithoutSecrets(managed, reply).body, [
      { '/a': { 'x.Y': { ClientId: 2 }, 'x.Z': {} }, '/b': { 'x.Y': {} } },
    ]);
  });
  it('other replies pass unchanged', () => {
    const reply = { signature: 'a{sv}', body: [{ Password: 1 }] };
    const other = { interface: 'com.example.X', member: 'GetAll', signature: '', body: [] };
    assert.equal(replyWithoutSecrets(other, reply), reply);
  });
});

describe('curated secret properties and signals that carry property values', () => {
  const telepathy = 'org.freedesktop.Telepathy.Account';
  it("GetAll of a Telepathy account drops Parameters (the account's password), keeps the rest", () => {
    const message = { ...getAll, body: [telepathy] };
    const reply = { signature: 'a{sv}', body: [{ Parameters: { password: 'hunter2' }, DisplayName: 'me' }] };
    assert.deepEqual(replyWithoutSecrets(message, reply).body, [{ DisplayName: 'me' }]);
  });
  it('GetManagedObjects drops curated secret properties by interface', () => {
    const reply = {
      signature: 'a{oa{sa{sv}}}',
      body: [{ '/a': { [telepathy]: { Parameters: 1, Enabled: 2 } } }],
    };
    assert.deepEqual(replyWithoutSecrets(managed, reply).body, [{ '/a': { [telepathy]: { Enabled: 2 } } }]);
  });
  const signal = (iface: string, member: string, body: unknown[]) => ({
    sender: ':1.5',
    path: '/a',
    interface: iface,
    member,
    signature: 'sa{sv}as',
    body,
  });
  it('PropertiesChanged names a changed secret as invalidated instead of carrying its value', () => {
    const msg = signal('org.freedesktop.DBus.Properties', 'PropertiesChanged', [
      'org.freedesktop.NetworkManager.Settings.Connection',
      { Password: 'hunter2', Unsaved: true },
      ['Other'],
    ]);
    assert.deepEqual(signalWithoutSecrets(msg).body, [
      'org.freedesktop.NetworkManager.Settings.Connection',
      { Unsaved: true },
      ['Other', 'Password'],
    ]);
  });
  it('PropertiesChanged of a curated secret property (Telepathy Parameters)', () => {
    const msg = signal('org.freedesktop.DBus.Properties', 'PropertiesChanged', [
      telepathy,
      { Parameters: {} },
      [],
    ]);
    assert.deepEqual(signalWithoutSecrets(msg).body, [telepathy, {}, ['Parameters']]);
  });
  it('InterfacesAdded carries a new object without its secret properties', () => {
    const msg = signal('org.freedesktop.DBus.ObjectManager', 'InterfacesAdded', [
      '/o',
      { 'org.gnome.OnlineAccounts.OAuth2Based': { ClientSecret: 's', ClientId: 'i' } },
    ]);
    assert.deepEqual(signalWithoutSecrets(msg).body, [
      '/o',
      { 'org.gnome.OnlineAccounts.OAuth2Based': { ClientId: 'i' } },
    ]);
  });
  it('other signals, and PropertiesChanged without secrets, pass unchanged', () => {
    const plain = signal('org.freedesktop.DBus.Properties', 'PropertiesChanged', ['x.Y', { Volume: 1 }, []]);
    assert.equal(signalWithoutSecrets(plain), plain);
    const other = signal('com.example.X', 'PropertiesChanged', ['x.Y', { Password: 1 }, []]);
    assert.equal(signalWithoutSecrets(other), other);
  });
});
