#include "demo/demogenerator.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <queue>
#include <vector>

namespace chronoscope {

namespace {

constexpr TimeMs kSecond = 1000;
constexpr TimeMs kMinute = 60 * kSecond;
constexpr TimeMs kHour = 60 * kMinute;
constexpr TimeMs kDay = 24 * kHour;

// Average events one order produces (measured on the generator itself); sizes the order arrival rate
// so that the requested number of events spans the requested days.
constexpr double kEventsPerOrder = 16.8;
constexpr int kMaxItems = 4;
constexpr int kMaxAttempts = 4;
constexpr TimeMs kProviderTimeout = 10 * kSecond;

// splitmix64: tiny, fast, and identical on every platform (std distributions are not).
struct Rng
{
    quint64 s;
    quint64 next()
    {
        quint64 z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }
    qint64 range(qint64 lo, qint64 hi) { return lo + qint64(next() % quint64(hi - lo + 1)); }
    bool chance(double p) { return uniform() < p; }
    template <typename T, size_t N>
    const T& pick(const T (&a)[N]) { return a[next() % N]; }
};

quint64 mix(quint64 z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

const char* const kAdjectives[] = {"Walnut", "Linen", "Copper", "Oak", "Ceramic", "Wool", "Bamboo", "Steel",
                                   "Cotton", "Glass", "Leather", "Marble", "Cedar", "Velvet", "Stone", "Brass"};
const char* const kNouns[] = {"desk lamp", "throw", "kettle", "side table", "mug set", "rug", "cutting board",
                              "bookshelf", "cushion", "vase", "wallet", "coaster set", "stool", "armchair",
                              "planter", "clock", "mirror", "tray", "candle", "blanket"};
const char* const kCities[][2] = {{"Amsterdam", "NL"}, {"Berlin", "DE"}, {"Lyon", "FR"}, {"Porto", "PT"},
                                  {"Ghent", "BE"},     {"Milan", "IT"},  {"Vienna", "AT"}, {"Malmo", "SE"},
                                  {"Krakow", "PL"},    {"Dublin", "IE"}, {"Valencia", "ES"}, {"Aarhus", "DK"}};
const char* const kCarriers[] = {"DHL", "UPS", "DPD", "PostNL", "GLS"};
const char* const kChannels[] = {"web", "web", "app", "app", "marketplace"};
const char* const kSuppliers[] = {"Nordic Goods BV", "Atelier Rhone", "Hanse Supply GmbH", "Iberia Crafts SL"};
const char* const kProvider = "acmepay";

// Orders per hour of the day (UTC), relative: quiet nights, a lunch peak and an evening peak.
const double kHourWeight[24] = {0.15, 0.10, 0.08, 0.08, 0.10, 0.20, 0.40, 0.70, 0.90, 1.00, 1.00, 1.05,
                                1.20, 1.25, 1.10, 1.00, 1.00, 1.05, 1.20, 1.35, 1.40, 1.20, 0.80, 0.40};

// Minimal JSON object writer for the generator's own ASCII keys and values (no escaping needed).
class Obj
{
public:
    Obj() { m_b.reserve(256); m_b += '{'; }
    Obj& str(const char* k, QByteArrayView v)
    {
        key(k);
        m_b += '"';
        m_b += v;
        m_b += '"';
        return *this;
    }
    Obj& num(const char* k, qint64 v)
    {
        key(k);
        m_b += QByteArray::number(v);
        return *this;
    }
    Obj& money(const char* k, qint64 cents)
    {
        key(k);
        appendMoney(m_b, cents);
        return *this;
    }
    Obj& raw(const char* k, QByteArrayView json)
    {
        key(k);
        m_b += json;
        return *this;
    }
    Obj& boolean(const char* k, bool v) { return raw(k, v ? "true" : "false"); }
    Obj& null(const char* k) { return raw(k, "null"); }
    QByteArray done()
    {
        m_b += '}';
        return std::move(m_b);
    }
    static void appendMoney(QByteArray& b, qint64 cents)
    {
        if (cents < 0) {
            b += '-';
            cents = -cents;
        }
        b += QByteArray::number(cents / 100);
        b += '.';
        b += char('0' + (cents / 10) % 10);
        b += char('0' + cents % 10);
    }

private:
    void key(const char* k)
    {
        if (m_b.size() > 1)
            m_b += ',';
        m_b += '"';
        m_b += k;
        m_b += "\":";
    }
    QByteArray m_b;
};

struct Sku
{
    QByteArray code;     // "SKU-1042"
    QByteArray name;
    QString stream;      // "inventory-SKU-1042"
    qint64 priceCents = 0;
    qint64 onHand = 0;
    qint64 reserved = 0;
    qint64 par = 0;      // the level replenishment restores
    qint64 version = -1;
    bool replenishPending = false;
};

// Customer, Item and Flow are packed: a 50M-event demo holds over a million customers and hundreds of thousands
// of flows in flight (docs/scale.md "The demo's memory").
struct Customer
{
    qint32 version = -1; // last version written to customer-<n>
    qint32 orders = 0;
    qint64 lifetimeCents : 63 = 0;
    bool claimed : 1 = false; // an order of this customer registers it (set when the order starts)
};
static_assert(sizeof(Customer) == 16);

struct Item
{
    quint8 sku = 0; // at most 240 SKUs
    quint8 qty = 0; // 1 to 4
};

enum class Step : quint8 {
    Place, Register, AddItem, Abandon, Confirm, Reserve, PayRequest, PayOutcome, PayRetry, Captured, OrderPaid,
    Loyalty, ShipCreate, Dispatch, StockShip, Deliver, Complete, Release, Cancel, LateCapture, Refund,
    Replenish, Done
};

enum class Outcome : quint8 { Ok, Timeout, Declined };

struct Flow
{
    qint64 orderNo = 0;     // also the sku index for a replenishment flow
    qint64 totalCents = 0;
    qint64 correlation = 0; // position of the event that started the flow
    qint64 cause = 0;       // position of the event the next one reacts to
    qint64 confirmPos = 0, requestPos = 0, failPos = 0, paidPos = 0, dispatchPos = 0;
    qint32 customer = 0;
    qint32 orderVersion = -1, paymentVersion = -1, shipmentVersion = -1;
    qint32 backoffMs = 0;   // at most 144 s
    Item items[kMaxItems];
    quint8 cityIndex = 0;
    Step step = Step::Done;
    quint8 sub = 0;         // item index for per-item steps
    quint8 nItems = 0;
    quint8 attempts = 0;
    Outcome outcome = Outcome::Ok;
    bool ghost = false;     // the provider charged despite the timeout (settles late)
    bool newCustomer = false;
};
static_assert(sizeof(Flow) == 112);

/// The flows by index, in blocks of 4096 that never move: growing holds at most one spare block, where a vector
/// of a million flows would double (and copy) itself.
class FlowPool
{
public:
    Flow& operator[](quint32 i) { return m_blocks[i >> kShift][i & kMask]; }
    size_t size() const { return m_size; }
    void emplace_back()
    {
        if ((m_size >> kShift) == m_blocks.size())
            m_blocks.push_back(std::make_unique<Flow[]>(size_t(1) << kShift));
        m_blocks[m_size >> kShift][m_size & kMask] = Flow();
        ++m_size;
    }

private:
    static constexpr int kShift = 12;
    static constexpr size_t kMask = (size_t(1) << kShift) - 1;
    std::vector<std::unique_ptr<Flow[]>> m_blocks;
    size_t m_size = 0;
};

struct Pending
{
    TimeMs time;
    quint64 order; // insertion order: ties resolve the same way every run
    quint32 flow;
    bool operator>(const Pending& o) const { return time != o.time ? time > o.time : order > o.order; }
};

class Generator
{
public:
    Generator(const DemoOptions& o, const DemoEventFn& sink, const ProgressFn& progress, const CancelToken& cancel)
        : m_opt(o), m_sink(sink), m_progress(progress), m_cancel(cancel)
    {
        m_rng.s = mix(0x63687230ULL ^ (quint64(o.seed) << 17)) ^ o.seed;
        m_idSalt = mix(quint64(o.seed) * 0x2545f4914f6cdd1dULL + 7);
        m_incident = demoIncident(o);
    }

    qint64 peakFlows() const { return qint64(m_flows.size()); }

    bool run(QString* error)
    {
        if (m_opt.events <= 0)
            return true;
        setUp();
        const qint64 total = m_opt.events;
        while (m_emitted < total && !m_stopped) {
            if (m_heap.empty() || m_nextArrival <= m_heap.top().time) {
                startOrder(m_nextArrival);
                ++m_arrivals;
                m_nextArrival = arrivalTime(m_arrivals);
                continue;
            }
            const Pending p = m_heap.top();
            m_heap.pop();
            runStep(p.flow, p.time);
            if ((m_emitted & 0xffff) == 0) {
                if (m_cancel.isCancelled()) {
                    if (error)
                        *error = QStringLiteral("demo generation cancelled");
                    return false;
                }
                if (m_progress)
                    m_progress(m_emitted, total, QStringLiteral("generating demo events"));
            }
        }
        if (m_stopped) {
            if (error && error->isEmpty())
                *error = QStringLiteral("demo generation stopped by the receiver");
            return false;
        }
        if (m_progress)
            m_progress(m_emitted, total, QStringLiteral("generating demo events"));
        return true;
    }

private:
    // ---- set-up ------------------------------------------------------------------------------------
    void setUp()
    {
        const qint64 n = m_opt.events;
        const int days = demoDays(m_opt);
        const qint64 skuCount = std::clamp<qint64>(n / 150, 24, 240);
        m_orders = std::max<qint64>(1, qint64(std::ceil(double(n) / kEventsPerOrder * 1.09)));
        // Two customers for every five orders, up to maxCustomers (a million, 16 MB): a bigger demo has more
        // returning customers, not a table that grows with it.
        m_customers.resize(size_t(std::clamp<qint64>(m_orders * 2 / 5, 20, std::max<qint64>(20, m_opt.maxCustomers))));

        // Popularity follows a Zipf-like curve: a few SKUs are in many orders (long inventory streams).
        double cum = 0;
        for (qint64 i = 0; i < skuCount; ++i) {
            cum += 1.0 / std::pow(double(i + 1), 0.9);
            m_skuCum.push_back(cum);
        }
        const double ordersPerHour = double(m_orders) / (days * 24.0);
        for (qint64 i = 0; i < skuCount; ++i) {
            Sku s;
            s.code = "SKU-" + QByteArray::number(1001 + i);
            s.name = QByteArray(m_rng.pick(kAdjectives)) + ' ' + m_rng.pick(kNouns);
            s.stream = QStringLiteral("inventory-") + QString::fromLatin1(s.code);
            s.priceCents = m_rng.range(4, 250) * 100 - (m_rng.chance(0.6) ? 1 : 10);
            const double share = (m_skuCum[size_t(i)] - (i ? m_skuCum[size_t(i - 1)] : 0)) / cum;
            // Enough for about eight busy hours of demand, so replenishment is regular but not constant.
            s.par = std::max<qint64>(30, qint64(ordersPerHour * 1.3 * 2.5 * 1.5 * share * 8));
            m_skus.push_back(s);
        }

        // Opening stock count: one StockReplenished per SKU, a quarter second apart.
        TimeMs t = m_opt.start;
        for (qint64 i = 0; i < skuCount; ++i, t += 250) {
            const quint32 f = newFlow();
            m_flows[f].step = Step::Replenish;
            m_flows[f].orderNo = i;
            m_flows[f].correlation = 0;
            m_flows[f].cause = 0;
            push(f, t);
        }

        // Orders arrive with the hourly profile over [first order, start + days).
        m_spanBegin = t + kMinute;
        m_spanEnd = m_opt.start + days * kDay;
        if (m_spanEnd <= m_spanBegin)
            m_spanEnd = m_spanBegin + kHour;
        for (TimeMs a = m_spanBegin; a < m_spanEnd;) {
            const TimeMs hourEnd = std::min(m_spanEnd, (a / kHour + 1) * kHour);
            const int hour = int((a / kHour) % 24);
            m_segCum += kHourWeight[hour] * double(hourEnd - a);
            m_segments.push_back({a, hourEnd, m_segCum});
            a = hourEnd;
        }
        m_nextArrival = arrivalTime(0);
    }

    struct Segment
    {
        TimeMs begin, end;
        double cumEnd;
    };

    TimeMs arrivalTime(qint64 k)
    {
        const double u = m_rng.uniform();
        if (k >= m_orders) // more orders than planned (the flows ran short): continue at the average rate
            return std::max(m_lastArrival, m_spanEnd + TimeMs((double(k - m_orders) + u) *
                                                              double(m_spanEnd - m_spanBegin) / double(m_orders)));
        const double target = (double(k) + u) / double(m_orders) * m_segCum;
        while (m_segCursor + 1 < m_segments.size() && m_segments[m_segCursor].cumEnd < target)
            ++m_segCursor;
        const Segment& s = m_segments[m_segCursor];
        const double cumBegin = m_segCursor ? m_segments[m_segCursor - 1].cumEnd : 0.0;
        const double frac = (s.cumEnd > cumBegin) ? (target - cumBegin) / (s.cumEnd - cumBegin) : 0.0;
        const TimeMs t = s.begin + TimeMs(frac * double(s.end - s.begin));
        m_lastArrival = std::max(m_lastArrival, t);
        return m_lastArrival;
    }

    // ---- flows ------------------------------------------------------------------------------------
    quint32 newFlow()
    {
        if (!m_free.empty()) {
            const quint32 f = m_free.back();
            m_free.pop_back();
            m_flows[f] = Flow();
            return f;
        }
        m_flows.emplace_back();
        return quint32(m_flows.size() - 1);
    }

    void push(quint32 f, TimeMs t) { m_heap.push({t, m_pushes++, f}); }

    void next(quint32 f, Step step, TimeMs t, quint8 sub = 0)
    {
        m_flows[f].step = step;
        m_flows[f].sub = sub;
        push(f, t);
    }

    void finish(quint32 f)
    {
        m_flows[f].step = Step::Done;
        m_free.push_back(f);
    }

    void startOrder(TimeMs t)
    {
        const quint32 f = newFlow();
        Flow& fl = m_flows[f];
        fl.orderNo = m_arrivals + 1;
        fl.customer = qint32(m_rng.next() % m_customers.size());
        fl.newCustomer = !m_customers[size_t(fl.customer)].claimed;
        m_customers[size_t(fl.customer)].claimed = true; // a concurrent order must not register it again
        fl.cityIndex = quint8(m_rng.next() % (sizeof kCities / sizeof kCities[0]));
        const double r = m_rng.uniform();
        fl.nItems = quint8(r < 0.35 ? 1 : r < 0.70 ? 2 : r < 0.90 ? 3 : 4);
        for (int i = 0; i < fl.nItems; ++i) {
            // Distinct SKUs: an item's "id" identifies it within the order (diffs match elements by id).
            qint32 sku = pickSku();
            for (int tries = 0; tries < 16 && std::any_of(fl.items, fl.items + i, [&](const Item& it) { return it.sku == sku; }); ++tries)
                sku = pickSku();
            while (std::any_of(fl.items, fl.items + i, [&](const Item& it) { return it.sku == sku; }))
                sku = (sku + 1) % qint32(m_skus.size());
            fl.items[i].sku = quint8(sku);
            fl.items[i].qty = quint8(m_rng.chance(0.7) ? 1 : m_rng.range(2, 4));
        }
        next(f, Step::Place, t);
    }

    qint32 pickSku()
    {
        const double x = m_rng.uniform() * m_skuCum.back();
        return qint32(std::lower_bound(m_skuCum.begin(), m_skuCum.end(), x) - m_skuCum.begin());
    }

    /// 0: provider healthy, 1: degraded (first and last minutes of the outage), 2: down.
    int outagePhase(TimeMs t) const
    {
        if (t < m_incident.begin || t >= m_incident.end)
            return 0;
        if (t < m_incident.begin + 8 * kMinute || t >= m_incident.end - 6 * kMinute)
            return 1;
        return 2;
    }

    /// Decides how a payment attempt started at t ends, and when its result event happens.
    TimeMs decideAttempt(Flow& fl, TimeMs t)
    {
        ++fl.attempts;
        const int phase = outagePhase(t);
        const double timeoutP = phase == 2 ? 0.97 : phase == 1 ? 0.45 : 0.002;
        if (m_rng.chance(timeoutP)) {
            fl.outcome = Outcome::Timeout;
            if (phase && m_rng.chance(0.08))
                fl.ghost = true;
            return t + kProviderTimeout + m_rng.range(0, 40);
        }
        fl.outcome = m_rng.chance(0.025) ? Outcome::Declined : Outcome::Ok;
        return t + m_rng.range(250, 1400) + (phase ? m_rng.range(2000, 7000) : 0);
    }

    QByteArray itemsJson(const Flow& fl, int count, bool withPrice) const
    {
        QByteArray b = "[";
        for (int i = 0; i < count; ++i) {
            const Sku& s = m_skus[size_t(fl.items[i].sku)];
            if (i)
                b += ',';
            b += "{\"id\":\"" + s.code + "\"";
            if (withPrice)
                b += ",\"name\":\"" + s.name + "\"";
            b += ",\"qty\":" + QByteArray::number(fl.items[i].qty);
            if (withPrice) {
                b += ",\"unitPrice\":";
                Obj::appendMoney(b, s.priceCents);
            }
            b += '}';
        }
        b += ']';
        return b;
    }

    QByteArray stockJson(const Sku& s, const char* refKey, const QByteArray& ref, qint64 qty, const char* qtyKey)
    {
        Obj o;
        o.str("sku", s.code).num(qtyKey, qty).num("onHand", s.onHand).num("reserved", s.reserved)
            .num("available", s.onHand - s.reserved);
        if (refKey)
            o.str(refKey, ref);
        return o.done();
    }

    static QString name(const char* category, qint64 n)
    {
        return QLatin1String(category) + u'-' + QString::number(n);
    }

    QByteArray orderId(const Flow& fl) const { return "order-" + QByteArray::number(fl.orderNo); }

    void runStep(quint32 f, TimeMs t)
    {
        Flow& fl = m_flows[f];
        const QString order = name("order", fl.orderNo);
        switch (fl.step) {
        case Step::Replenish: {
            Sku& s = m_skus[size_t(fl.orderNo)];
            const bool opening = s.version < 0;
            const qint64 qty = opening ? s.par + m_rng.range(0, s.par / 2)
                                       : std::max<qint64>(s.par - (s.onHand - s.reserved), s.par / 2);
            s.onHand += qty;
            s.replenishPending = false;
            Obj o;
            o.str("sku", s.code);
            if (opening)
                o.str("name", s.name).money("unitPrice", s.priceCents);
            o.num("replenished", qty).num("onHand", s.onHand).num("reserved", s.reserved)
                .num("available", s.onHand - s.reserved).str("supplier", m_rng.pick(kSuppliers));
            produce(s.stream, ++s.version, "StockReplenished", t, o.done(), fl.cause, fl.correlation);
            finish(f);
            return;
        }
        case Step::Place: {
            const qint64 pos = produce(order, ++fl.orderVersion, "OrderPlaced", t,
                                    Obj().str("orderId", orderId(fl))
                                        .str("customerId", "customer-" + QByteArray::number(fl.customer + 1))
                                        .str("status", "placed").str("channel", m_rng.pick(kChannels))
                                        .str("currency", "EUR").raw("items", "[]").money("total", 0).done(),
                                    0, 0);
            fl.correlation = fl.cause = pos;
            if (fl.newCustomer)
                next(f, Step::Register, t + m_rng.range(200, 900));
            else
                next(f, Step::AddItem, t + m_rng.range(5 * kSecond, 60 * kSecond));
            return;
        }
        case Step::Register: {
            Customer& c = m_customers[size_t(fl.customer)];
            produce(name("customer", fl.customer + 1), ++c.version, "CustomerRegistered", t,
                 Obj().str("customerId", "customer-" + QByteArray::number(fl.customer + 1)).str("tier", "standard")
                     .str("city", kCities[fl.cityIndex][0]).str("country", kCities[fl.cityIndex][1])
                     .num("orders", 0).money("lifetimeValue", 0).num("points", 0).done(),
                 fl.correlation, fl.correlation);
            next(f, Step::AddItem, t + m_rng.range(5 * kSecond, 60 * kSecond));
            return;
        }
        case Step::AddItem: {
            const int i = fl.sub;
            fl.totalCents += m_skus[size_t(fl.items[i].sku)].priceCents * fl.items[i].qty;
            produce(order, ++fl.orderVersion, "ItemAdded", t,
                 Obj().raw("items", itemsJson(fl, i + 1, true)).num("itemCount", i + 1).money("total", fl.totalCents)
                     .done(),
                 fl.correlation, fl.correlation);
            if (i + 1 < fl.nItems)
                next(f, Step::AddItem, t + m_rng.range(5 * kSecond, 90 * kSecond), quint8(i + 1));
            else if (m_rng.chance(0.03))
                next(f, Step::Abandon, t + m_rng.range(2 * kMinute, 20 * kMinute));
            else
                next(f, Step::Confirm, t + m_rng.range(10 * kSecond, 120 * kSecond));
            return;
        }
        case Step::Abandon:
            produce(order, ++fl.orderVersion, "OrderCancelled", t,
                 Obj().str("status", "cancelled").str("cancelReason", "abandoned-cart").done(), fl.correlation,
                 fl.correlation);
            finish(f);
            return;
        case Step::Confirm:
            fl.confirmPos = produce(order, ++fl.orderVersion, "OrderConfirmed", t,
                                 Obj().str("status", "confirmed").money("total", fl.totalCents)
                                     .raw("shippingAddress", "{\"city\":\"" + QByteArray(kCities[fl.cityIndex][0]) +
                                                                 "\",\"country\":\"" + kCities[fl.cityIndex][1] + "\"}")
                                     .done(),
                                 fl.correlation, fl.correlation);
            next(f, Step::Reserve, t + m_rng.range(50, 300));
            return;
        case Step::Reserve: {
            const int i = fl.sub;
            Sku& s = m_skus[size_t(fl.items[i].sku)];
            s.reserved += fl.items[i].qty;
            const qint64 pos = produce(s.stream, ++s.version, "StockReserved", t,
                                    stockJson(s, "orderId", orderId(fl), fl.items[i].qty, "qty"), fl.confirmPos,
                                    fl.correlation);
            if (!s.replenishPending && s.onHand - s.reserved < s.par / 4) {
                s.replenishPending = true;
                const qint32 sku = fl.items[i].sku;
                const qint64 correlation = fl.correlation;
                const quint32 r = newFlow(); // may grow m_flows: fl is not used below
                Flow& rf = m_flows[r];
                rf.step = Step::Replenish;
                rf.orderNo = sku;
                rf.cause = pos;
                rf.correlation = correlation;
                push(r, t + m_rng.range(20 * kMinute, 120 * kMinute));
            }
            Flow& me = m_flows[f];
            if (i + 1 < me.nItems)
                next(f, Step::Reserve, t + m_rng.range(30, 200), quint8(i + 1));
            else
                next(f, Step::PayRequest, t + m_rng.range(100, 600));
            return;
        }
        case Step::PayRequest:
            fl.requestPos = fl.cause =
                produce(name("payment", fl.orderNo), ++fl.paymentVersion, "PaymentRequested", t,
                     Obj().str("paymentId", "payment-" + QByteArray::number(fl.orderNo)).str("orderId", orderId(fl))
                         .money("amount", fl.totalCents).str("currency", "EUR").str("method", "card")
                         .str("provider", kProvider).str("status", "requested").num("attempts", 0).done(),
                     fl.confirmPos, fl.correlation);
            next(f, Step::PayOutcome, decideAttempt(fl, t));
            return;
        case Step::PayRetry:
            fl.cause = produce(name("payment", fl.orderNo), ++fl.paymentVersion, "PaymentRetried", t,
                            Obj().str("status", "retrying").num("attempts", fl.attempts)
                                .num("backoffSeconds", fl.backoffMs / 1000).done(),
                            fl.failPos, fl.correlation);
            next(f, Step::PayOutcome, decideAttempt(fl, t));
            return;
        case Step::PayOutcome: {
            const QString payment = name("payment", fl.orderNo);
            if (fl.outcome == Outcome::Ok) {
                fl.cause = produce(payment, ++fl.paymentVersion, "PaymentAuthorized", t,
                                Obj().str("status", "authorized").num("attempts", fl.attempts)
                                    .str("authCode", authCode()).null("lastError").done(),
                                fl.cause, fl.correlation);
                next(f, Step::Captured, t + m_rng.range(500, 3000));
                return;
            }
            const bool timeout = fl.outcome == Outcome::Timeout;
            const bool final = !timeout || fl.attempts >= kMaxAttempts;
            fl.failPos = fl.cause = produce(
                payment, ++fl.paymentVersion, "PaymentFailed", t,
                Obj().str("status", "failed").num("attempts", fl.attempts).boolean("final", final)
                    .raw("lastError", timeout ? QByteArray("{\"code\":\"PROVIDER_TIMEOUT\",\"message\":\"") + kProvider +
                                                    " did not answer within 10 s\"}"
                                              : QByteArray("{\"code\":\"CARD_DECLINED\",\"message\":\"the issuer "
                                                           "declined the card\"}"))
                    .done(),
                fl.cause, fl.correlation);
            if (!final) {
                // Exponential backoff with jitter: 30 s, 60 s, 120 s (+-20%).
                const TimeMs base = 30 * kSecond << (fl.attempts - 1);
                fl.backoffMs = qint32(base + m_rng.range(-base / 5, base / 5));
                next(f, Step::PayRetry, t + fl.backoffMs);
            } else {
                next(f, Step::Release, t + m_rng.range(200, 800));
            }
            return;
        }
        case Step::Captured:
            fl.cause = produce(name("payment", fl.orderNo), ++fl.paymentVersion, "PaymentCaptured", t,
                            Obj().str("status", "captured").money("captured", fl.totalCents).done(), fl.cause,
                            fl.correlation);
            next(f, Step::OrderPaid, t + m_rng.range(100, 500));
            return;
        case Step::OrderPaid:
            fl.paidPos = produce(order, ++fl.orderVersion, "OrderPaid", t,
                              Obj().str("status", "paid").str("paymentId", "payment-" + QByteArray::number(fl.orderNo))
                                  .money("paid", fl.totalCents).done(),
                              fl.cause, fl.correlation);
            next(f, Step::Loyalty, t + m_rng.range(1000, 5000));
            return;
        case Step::Loyalty: {
            Customer& c = m_customers[size_t(fl.customer)];
            ++c.orders;
            c.lifetimeCents += fl.totalCents;
            const qint64 points = c.lifetimeCents / 100;
            produce(name("customer", fl.customer + 1), ++c.version, "LoyaltyPointsEarned", t,
                 Obj().num("orders", c.orders).money("lifetimeValue", c.lifetimeCents).num("points", points)
                     .str("tier", points >= 2000 ? "gold" : points >= 600 ? "silver" : "standard").done(),
                 fl.paidPos, fl.correlation);
            next(f, Step::ShipCreate, t + m_rng.range(2 * kMinute, 30 * kMinute));
            return;
        }
        case Step::ShipCreate:
            fl.cause = produce(name("shipment", fl.orderNo), ++fl.shipmentVersion, "ShipmentCreated", t,
                            Obj().str("shipmentId", "shipment-" + QByteArray::number(fl.orderNo))
                                .str("orderId", orderId(fl)).str("status", "created")
                                .str("carrier", m_rng.pick(kCarriers)).raw("items", itemsJson(fl, fl.nItems, false))
                                .raw("address", "{\"city\":\"" + QByteArray(kCities[fl.cityIndex][0]) +
                                                    "\",\"country\":\"" + kCities[fl.cityIndex][1] + "\"}")
                                .done(),
                            fl.paidPos, fl.correlation);
            next(f, Step::Dispatch, t + m_rng.range(30 * kMinute, 300 * kMinute));
            return;
        case Step::Dispatch:
            fl.dispatchPos = fl.cause =
                produce(name("shipment", fl.orderNo), ++fl.shipmentVersion, "ShipmentDispatched", t,
                     Obj().str("status", "dispatched").str("trackingNumber", trackingNumber()).done(), fl.cause,
                     fl.correlation);
            next(f, Step::StockShip, t + m_rng.range(100, 500));
            return;
        case Step::StockShip: {
            const int i = fl.sub;
            Sku& s = m_skus[size_t(fl.items[i].sku)];
            s.reserved -= fl.items[i].qty;
            s.onHand -= fl.items[i].qty;
            produce(s.stream, ++s.version, "StockShipped", t,
                 stockJson(s, "shipmentId", "shipment-" + QByteArray::number(fl.orderNo), fl.items[i].qty, "qty"),
                 fl.dispatchPos, fl.correlation);
            if (i + 1 < fl.nItems)
                next(f, Step::StockShip, t + m_rng.range(30, 200), quint8(i + 1));
            else
                next(f, Step::Deliver, t + m_rng.range(3 * 60 * kMinute, 20 * 60 * kMinute));
            return;
        }
        case Step::Deliver:
            fl.cause = produce(name("shipment", fl.orderNo), ++fl.shipmentVersion, "ShipmentDelivered", t,
                            Obj().str("status", "delivered").done(), fl.cause, fl.correlation);
            next(f, Step::Complete, t + m_rng.range(1000, 30000));
            return;
        case Step::Complete:
            produce(order, ++fl.orderVersion, "OrderCompleted", t, Obj().str("status", "completed").done(), fl.cause,
                 fl.correlation);
            finish(f);
            return;
        case Step::Release: {
            const int i = fl.sub;
            Sku& s = m_skus[size_t(fl.items[i].sku)];
            s.reserved -= fl.items[i].qty;
            produce(s.stream, ++s.version, "StockReleased", t, stockJson(s, "orderId", orderId(fl), fl.items[i].qty, "qty"),
                 fl.failPos, fl.correlation);
            if (i + 1 < fl.nItems)
                next(f, Step::Release, t + m_rng.range(30, 200), quint8(i + 1));
            else
                next(f, Step::Cancel, t + m_rng.range(100, 600));
            return;
        }
        case Step::Cancel:
            produce(order, ++fl.orderVersion, "OrderCancelled", t,
                 Obj().str("status", "cancelled").str("cancelReason", "payment-failed")
                     .str("paymentError", fl.outcome == Outcome::Timeout ? "PROVIDER_TIMEOUT" : "CARD_DECLINED").done(),
                 fl.failPos, fl.correlation);
            if (fl.ghost)
                next(f, Step::LateCapture, std::max(t, m_incident.end) + m_rng.range(3 * kMinute, 25 * kMinute));
            else
                finish(f);
            return;
        case Step::LateCapture:
            // The provider did charge during the outage; its settlement arrives after the order was cancelled.
            fl.cause = produce(name("payment", fl.orderNo), ++fl.paymentVersion, "PaymentCaptured", t,
                            Obj().str("status", "captured").money("captured", fl.totalCents).str("settlement", "late")
                                .done(),
                            fl.requestPos, fl.correlation);
            next(f, Step::Refund, t + m_rng.range(kMinute, 10 * kMinute));
            return;
        case Step::Refund:
            produce(name("payment", fl.orderNo), ++fl.paymentVersion, "RefundIssued", t,
                 Obj().str("status", "refunded").money("refunded", fl.totalCents).str("reason", "order-cancelled")
                     .done(),
                 fl.cause, fl.correlation);
            finish(f);
            return;
        case Step::Done:
            return;
        }
    }

    QByteArray authCode()
    {
        static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        QByteArray s(6, Qt::Uninitialized);
        quint64 r = m_rng.next();
        for (char& c : s) {
            c = alphabet[r % 32];
            r >>= 5;
        }
        return s;
    }

    QByteArray trackingNumber()
    {
        return "TRK" + QByteArray::number(qint64(m_rng.next() % 9000000000ULL) + 1000000000LL);
    }

    QString eventId(qint64 position) const
    {
        const quint64 hi = mix(m_idSalt ^ quint64(position) * 2);
        const quint64 lo = mix(m_idSalt + quint64(position) * 2 + 1);
        char buf[40];
        // Shaped like a version-4 UUID.
        std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", unsigned(hi >> 32), unsigned((hi >> 16) & 0xffff),
                      unsigned(hi & 0xfff), unsigned(((lo >> 48) & 0x3fff) | 0x8000),
                      static_cast<unsigned long long>(lo & 0xffffffffffffULL));
        return QString::fromLatin1(buf);
    }

    /// Delivers one event; returns its position. cause/correlation 0 mean "none" / "itself".
    qint64 produce(const QString& stream, qint64 version, const char* type, TimeMs t, QByteArray data, qint64 cause,
                qint64 correlation)
    {
        const qint64 pos = ++m_emitted;
        if (m_stopped)
            return pos;
        Event e;
        e.position = pos;
        e.stream = stream;
        e.version = version;
        e.type = QLatin1String(type);
        e.time = t;
        e.id = eventId(pos);
        e.data = std::move(data);
        QByteArray meta = "{\"correlationId\":\"" + (correlation ? eventId(correlation) : e.id).toLatin1() + '"';
        if (cause)
            meta += ",\"causationId\":\"" + eventId(cause).toLatin1() + '"';
        meta += '}';
        e.metadata = std::move(meta);
        if (!m_sink(e))
            m_stopped = true;
        return pos;
    }

    DemoOptions m_opt;
    const DemoEventFn& m_sink;
    const ProgressFn& m_progress;
    CancelToken m_cancel;
    Rng m_rng{0};
    quint64 m_idSalt = 0;
    DemoIncident m_incident;

    std::vector<Sku> m_skus;
    std::vector<double> m_skuCum;
    std::vector<Customer> m_customers;
    FlowPool m_flows;
    std::vector<quint32> m_free;
    std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> m_heap;
    quint64 m_pushes = 0;

    std::vector<Segment> m_segments;
    size_t m_segCursor = 0;
    double m_segCum = 0;
    TimeMs m_spanBegin = 0, m_spanEnd = 0, m_lastArrival = 0;
    qint64 m_orders = 0;
    qint64 m_arrivals = 0;
    TimeMs m_nextArrival = 0;
    qint64 m_emitted = 0;
    bool m_stopped = false;
};

} // namespace

DemoIncident demoIncident(const DemoOptions& options)
{
    const TimeMs midnight = (options.start >= 0 ? options.start / kDay : (options.start - kDay + 1) / kDay) * kDay;
    DemoIncident inc;
    inc.begin = midnight + kDay + 13 * kHour + 40 * kMinute;
    inc.end = midnight + kDay + 14 * kHour + 25 * kMinute;
    inc.provider = QLatin1String(kProvider);
    return inc;
}

int demoDays(const DemoOptions& options)
{
    if (options.days > 0)
        return options.days;
    const qint64 perDay = std::max<qint64>(1, options.maxEventsPerDay);
    const qint64 days = (std::max<qint64>(0, options.events) + perDay - 1) / perDay;
    return int(std::clamp<qint64>(days, 3, 3650));
}

bool generateDemoEvents(const DemoOptions& options, const DemoEventFn& sink, const ProgressFn& progress,
                        const CancelToken& cancel, QString* error, DemoStats* stats)
{
    if (options.events < 0) {
        if (error)
            *error = QStringLiteral("the number of demo events cannot be negative");
        return false;
    }
    Generator g(options, sink, progress, cancel);
    const bool ok = g.run(error);
    if (stats)
        stats->peakFlows = g.peakFlows();
    return ok;
}

} // namespace chronoscope
