// Revenue per day (v2): captured payments minus refunds, by the UTC day the money moved.
// Fixes v1, which kept the late captures of cancelled orders (day-2 outage) and never subtracted
// their refunds.
fromCategory('payment')
    .when({
        $init: function () {
            return { currency: 'EUR', days: {}, total: 0, payments: 0 };
        },
        PaymentCaptured: function (state, event) {
            add(state, event, event.data.captured);
            state.payments++;
        },
        RefundIssued: function (state, event) {
            add(state, event, -event.data.refunded);
            state.refunds = (state.refunds || 0) + 1;
        }
    });

function add(state, event, amount) {
    var day = event.time.substring(0, 10);
    state.days[day] = Math.round(((state.days[day] || 0) + amount) * 100) / 100;
    state.total = Math.round((state.total + amount) * 100) / 100;
}
