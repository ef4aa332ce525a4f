# Optional fixture: a store written by the real Emmett npm package (versions from FORMATS.md). The setup
# always succeeds; when node/npm or the registry are unavailable it writes skip-reason.txt and the test's
# realEmmettPackage() skips with that reason, or fails when CI=true (CI must check the real package). node_modules is cached in the build folder, so only the first
# run pays for `npm install`.
set(_emmett_npm_dir ${CMAKE_CURRENT_BINARY_DIR}/emmett-npm)
file(MAKE_DIRECTORY ${_emmett_npm_dir})
file(WRITE ${_emmett_npm_dir}/write-store.mjs [=[
import { getSQLiteEventStore } from '@event-driven-io/emmett-sqlite';
const store = getSQLiteEventStore({ fileName: process.argv[2], schema: { autoMigration: 'CreateOrUpdate' } });
await store.appendToStream('shopping_cart-1', [
  { type: 'ProductItemAdded', data: { productId: 'p1', quantity: 2, price: 10.5 }, metadata: { correlationId: 'c-1' } },
  { type: 'ProductItemAdded', data: { productId: 'p2', quantity: 1 } },
]);
await store.appendToStream('shopping_cart-2', [{ type: 'ProductItemAdded', data: { productId: 'p9', quantity: 5 } }]);
await store.appendToStream('cart_commands-1', [{ type: 'ConfirmCart', kind: 'Command', data: { cartId: 'shopping_cart-1' } }]);
await store.appendToStream('shopping_cart-1', [{ type: 'ShoppingCartConfirmed', data: { confirmedAt: '2026-01-05T10:00:00.000Z' } }]);
process.exit(0);
]=])
file(WRITE ${_emmett_npm_dir}/setup.sh [=[
dir=$1
cd "$dir" || exit 0
rm -f store.sqlite store.sqlite-wal store.sqlite-shm skip-reason.txt
skip() { echo "$1" > skip-reason.txt; echo "skipping the real Emmett store: $1"; exit 0; }
command -v node >/dev/null 2>&1 || skip "node is not installed"
command -v npm >/dev/null 2>&1 || skip "npm is not installed"
if [ ! -f node_modules/.chronoscope-ready ]; then
  [ -f package.json ] || echo '{"name":"chronoscope-emmett-fixture","private":true}' > package.json
  timeout 900 npm install --legacy-peer-deps --no-audit --no-fund @event-driven-io/emmett@0.42.0 \
    @event-driven-io/emmett-sqlite@0.42.4 sqlite3@5.1.7 uuid@10 async-retry@1 commander@12 > npm.log 2>&1 \
    || skip "npm install failed (offline registry?), see $dir/npm.log"
  touch node_modules/.chronoscope-ready
fi
timeout 60 node write-store.mjs store.sqlite > node.log 2>&1 || skip "the Emmett script failed, see $dir/node.log"
# The package's connection runs in WAL mode, and node may exit before anything checkpoints its last commit (an ASan
# run read 3 of the 4 events: the fifth row was still in store.sqlite-wal, which the explorer does not read without
# its -shm). Fold the WAL into the file here, with the same sqlite3 module, so the store the test reads is whole.
timeout 60 node -e "const s=require('sqlite3');const d=new s.Database('store.sqlite');d.exec('PRAGMA wal_checkpoint(TRUNCATE)',e=>{if(e){console.error(e.message);process.exit(1)}d.close(c=>process.exit(c?1:0))})" >> node.log 2>&1 \
  || skip "checkpointing the Emmett store failed, see $dir/node.log"
rm -f store.sqlite-wal store.sqlite-shm
echo "wrote $dir/store.sqlite with the real Emmett package"
]=])
add_test(NAME tst_layouts_emmett_npm_setup COMMAND sh ${_emmett_npm_dir}/setup.sh ${_emmett_npm_dir})
set_tests_properties(tst_layouts_emmett_npm_setup PROPERTIES FIXTURES_SETUP emmett_npm_store TIMEOUT 1000)
set_tests_properties(tst_layouts_emmett PROPERTIES FIXTURES_REQUIRED emmett_npm_store)
