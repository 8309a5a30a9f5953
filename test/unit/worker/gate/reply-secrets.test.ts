import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replyWithoutSecrets } from '../../../../src/worker/gate/reply-secrets.js';

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
