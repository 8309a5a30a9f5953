// A session-bus service whose one method answers late, for the system test's drain step: a client
// calling it keeps the old server process busy while it drains.
//
//   node slow-service.mjs      owns org.dbusmcp.SystemTest, exports /org/dbusmcp/SystemTest with
//                              org.dbusmcp.SystemTest.Slow.GetAfter(u ms) → s; prints "ready"
// A read by name (Get…), so the default safety level allows it. Runs until stdin ends.
import dbus from 'dbus-next';

const NAME = 'org.dbusmcp.SystemTest';

class Slow extends dbus.interface.Interface {
  async GetAfter(ms) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return `answered after ${ms} ms`;
  }
}
Slow.configureMembers({ methods: { GetAfter: { inSignature: 'u', outSignature: 's' } } });

const bus = dbus.sessionBus({ busAddress: process.env.DBUS_SESSION_BUS_ADDRESS });
bus.on('error', (err) => {
  console.error(`bus error: ${err.message}`);
  process.exit(1);
});
bus.export('/org/dbusmcp/SystemTest', new Slow('org.dbusmcp.SystemTest.Slow'));
await bus.requestName(NAME, 0);
console.log('ready');
process.stdin.resume();
process.stdin.on('end', () => {
  bus.disconnect();
  process.exit(0);
});
