// How many orders are in each status right now (placed, confirmed, paid, completed, cancelled), and
// why cancelled orders were cancelled. Keeps each order's last status in shared bookkeeping so a
// status change moves one order from one bucket to the next.
fromCategory('order')
    .when({
        $init: function () {
            return { statuses: {}, cancelReasons: {}, orders: {} };
        },
        $any: function (state, event) {
            var status = event.data && event.data.status;
            if (!status)
                return;
            var previous = state.orders[event.streamId];
            if (previous)
                state.statuses[previous]--;
            state.statuses[status] = (state.statuses[status] || 0) + 1;
            if (status === 'completed' || status === 'cancelled')
                delete state.orders[event.streamId];   // finished: no need to remember it
            else
                state.orders[event.streamId] = status;
            if (status === 'cancelled') {
                var reason = event.data.cancelReason || 'unknown';
                state.cancelReasons[reason] = (state.cancelReasons[reason] || 0) + 1;
            }
        }
    })
    .transformBy(function (state) {
        return { statuses: state.statuses, cancelReasons: state.cancelReasons, open: Object.keys(state.orders).length };
    });
