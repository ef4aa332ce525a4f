// Stock per SKU, one partition per SKU: on hand, reserved and available, recomputed from the
// quantities in each event (not copied from the event's own totals), so a mismatch with the
// event's `available` shows up as `drift`.
fromCategory('inventory')
    .partitionBy(function (event) {
        return event.body.sku;
    })
    .when({
        $init: function () {
            return { onHand: 0, reserved: 0, available: 0, shipped: 0, drift: 0 };
        },
        StockReplenished: function (s, e) {
            s.onHand += e.data.replenished;
            settle(s, e);
        },
        StockReserved: function (s, e) {
            s.reserved += e.data.qty;
            settle(s, e);
        },
        StockReleased: function (s, e) {
            s.reserved -= e.data.qty;
            settle(s, e);
        },
        StockShipped: function (s, e) {
            s.reserved -= e.data.qty;
            s.onHand -= e.data.qty;
            s.shipped += e.data.qty;
            settle(s, e);
        }
    });

function settle(s, e) {
    s.available = s.onHand - s.reserved;
    if (typeof e.data.available === 'number' && e.data.available !== s.available)
        s.drift++;
}
