// A fast stand-in for throughput benchmarks only: a gRPC C++ server that serves the Node stand-in's bulk log
// (tests/fixtures/kurrentgrpc_standin.mjs --seed bulk:N) computed from the event's index, so reading a
// million events measures the client rather than grpc-js (about 13k events/s there). Same .proto files,
// same ReadResp fields as the Node stand-in's readEvent(); tst_kurrentgrpc_bulkserver reads a log through
// both and compares every event. Serves Streams.Read ($all and order-K streams, forwards and backwards,
// from a position or revision, with a prefix/regex filter; no subscriptions) and ServerFeatures.
//   kurrentgrpc_bulkserver --events N        prints {"port":P} on stdout, serves until killed
//   … --die-after K                          the process exits at once after sending K events in all (a
//                                            server that dies mid-stream: tst_kurrentgrpc_bulkserver)

#include "serverfeatures.grpc.pb.h"
#include "streams.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace pb = event_store::client;
namespace st = event_store::client::streams;
namespace sf = event_store::client::server_features;

constexpr long long kBaseMs = 1767607200000LL; // Date.parse('2026-01-05T10:00:00Z')
constexpr int kStreams = 1000;
std::atomic<long long> g_sent{0};
long long g_dieAfter = 0; // 0: never

// The bulk log of the Node stand-in, event i.
std::string dataOf(long long i)
{
    // `{"i":${i},"amount":${(i % 997) / 100}}`: JavaScript prints k/100 as its shortest decimal.
    const int k = int(i % 997);
    std::string amount = std::to_string(k / 100);
    if (k % 100) {
        char frac[3] = {char('0' + (k % 100) / 10), char('0' + k % 10), 0};
        if (frac[1] == '0') frac[1] = 0;
        amount += '.';
        amount += frac;
    }
    return "{\"i\":" + std::to_string(i) + ",\"amount\":" + amount + "}";
}

std::string idOf(long long i)
{
    char hex[13];
    std::snprintf(hex, sizeof hex, "%012llx", i);
    return std::string("00000000-0000-4000-8000-") + hex;
}

class Log
{
public:
    explicit Log(long long n)
    {
        m_positions.reserve(size_t(n));
        unsigned long long p = 1000;
        for (long long i = 0; i < n; ++i) {
            m_positions.push_back(p);
            p += 128 + dataOf(i).size();
        }
    }
    long long size() const { return (long long)m_positions.size(); }
    unsigned long long position(long long i) const { return m_positions[size_t(i)]; }
    long long firstAtOrAfter(unsigned long long p) const
    {
        return std::lower_bound(m_positions.begin(), m_positions.end(), p) - m_positions.begin();
    }
    void fill(long long i, st::ReadResp* resp) const
    {
        auto* ev = resp->mutable_event();
        auto* rec = ev->mutable_event();
        rec->mutable_id()->set_string(idOf(i));
        rec->mutable_stream_identifier()->set_stream_name("order-" + std::to_string(i % kStreams));
        rec->set_stream_revision((unsigned long long)(i / kStreams));
        rec->set_prepare_position(position(i));
        rec->set_commit_position(position(i));
        auto& md = *rec->mutable_metadata();
        md["type"] = i % 2 ? "OrderPaid" : "OrderPlaced";
        md["content-type"] = "application/json";
        md["created"] = std::to_string((kBaseMs + i) * 10000);
        rec->set_custom_metadata(std::string());
        rec->set_data(dataOf(i));
        ev->set_commit_position(position(i));
    }
    static std::string type(long long i) { return i % 2 ? "OrderPaid" : "OrderPlaced"; }

private:
    std::vector<unsigned long long> m_positions;
};

class Streams final : public st::Streams::Service
{
public:
    explicit Streams(const Log& log) : m_log(log) {}

    grpc::Status Read(grpc::ServerContext* ctx, const st::ReadReq* req,
                      grpc::ServerWriter<st::ReadResp>* out) override
    {
        const auto& o = req->options();
        if (o.count_option_case() != st::ReadReq::Options::kCount)
            return {grpc::UNIMPLEMENTED, "the bulk server serves reads, not subscriptions"};
        const bool backwards = o.read_direction() == st::ReadReq::Options::Backwards;
        const unsigned long long count = o.count();
        const long long n = m_log.size();
        // The events to visit, as indexes into the log, in read order.
        std::vector<long long> order;
        long long from = 0;
        long long step = 1;
        long long stride = 1;
        std::string stream;
        if (o.has_stream()) {
            stream = o.stream().stream_identifier().stream_name();
            int k = -1;
            if (stream.rfind("order-", 0) == 0) {
                const char* b = stream.data() + 6;
                const auto r = std::from_chars(b, stream.data() + stream.size(), k);
                if (r.ec != std::errc() || r.ptr != stream.data() + stream.size() || k < 0 || k >= kStreams ||
                    k >= n)
                    k = -1;
            }
            if (k < 0) {
                st::ReadResp resp;
                resp.mutable_stream_not_found()->mutable_stream_identifier()->set_stream_name(stream);
                out->Write(resp);
                return grpc::Status::OK;
            }
            stride = kStreams;
            const long long revisions = (n - k + kStreams - 1) / kStreams;
            long long rev = backwards ? revisions - 1 : 0;
            if (o.stream().revision_option_case() == st::ReadReq::Options::StreamOptions::kRevision)
                rev = (long long)std::min<unsigned long long>(o.stream().revision(),
                                                              (unsigned long long)revisions);
            else if (o.stream().revision_option_case() == st::ReadReq::Options::StreamOptions::kEnd)
                rev = backwards ? revisions - 1 : revisions;
            if (backwards && rev >= revisions) rev = revisions - 1;
            from = k + rev * kStreams;
        } else {
            const auto& a = o.all();
            if (a.all_option_case() == st::ReadReq::Options::AllOptions::kPosition) {
                // Like the Node stand-in: forwards from the event at the position (inclusive), backwards
                // from the one before it.
                const long long at = m_log.firstAtOrAfter(a.position().commit_position());
                from = backwards ? at - 1 : at;
            } else if (a.all_option_case() == st::ReadReq::Options::AllOptions::kEnd) {
                from = backwards ? n - 1 : n;
            } else {
                from = backwards ? n - 1 : 0;
            }
        }
        step = backwards ? -stride : stride;
        // Filter: the client's "exclude system events" (type regex ^[^\$].*) passes every bulk event.
        const bool filtered = o.filter_option_case() == st::ReadReq::Options::kFilter;
        const auto& f = o.filter();
        const bool byType = f.filter_case() == st::ReadReq::Options::FilterOptions::kEventType;
        const auto& expr = byType ? f.event_type() : f.stream_identifier();
        std::regex re;
        const bool useRegex = filtered && expr.prefix_size() == 0 && !expr.regex().empty();
        if (useRegex) re = std::regex(expr.regex(), std::regex::ECMAScript);
        // A filter on the event type has two answers in this log (OrderPlaced, OrderPaid): each is computed
        // once, not by a regex run per event (the server is not what the benchmark measures).
        int typePasses[2] = {-1, -1};
        std::function<bool(long long)> passesUncached;
        auto passes = [&](long long i) {
            if (filtered && byType) {
                int& known = typePasses[i % 2];
                if (known < 0) known = passesUncached(i) ? 1 : 0;
                return known == 1;
            }
            return passesUncached(i);
        };
        passesUncached = [&](long long i) {
            if (!filtered) return true;
            const std::string subject = byType ? Log::type(i) : "order-" + std::to_string(i % kStreams);
            if (expr.prefix_size() > 0)
                return std::any_of(expr.prefix().begin(), expr.prefix().end(),
                                   [&](const std::string& p) { return subject.rfind(p, 0) == 0; });
            return !useRegex || std::regex_search(subject, re);
        };
        st::ReadResp resp;
        unsigned long long sent = 0;
        for (long long i = from; i >= 0 && i < n && sent < count; i += step) {
            if (!passes(i)) continue;
            if ((sent & 1023) == 0 && ctx->IsCancelled()) return grpc::Status::CANCELLED;
            // fill() sets every field an event response has, so the message (and its metadata map's nodes) is
            // reused as it is rather than cleared and rebuilt for each event.
            m_log.fill(i, &resp);
            if (!out->Write(resp)) return grpc::Status::CANCELLED;
            if (g_dieAfter > 0 && ++g_sent >= g_dieAfter) std::_Exit(0); // no status, no goodbye: a crash
            ++sent;
        }
        return grpc::Status::OK;
    }

private:
    const Log& m_log;
};

class Features final : public sf::ServerFeatures::Service
{
    grpc::Status GetSupportedMethods(grpc::ServerContext*, const pb::Empty*,
                                     sf::SupportedMethods* out) override
    {
        out->set_event_store_server_version("24.10.0-standin");
        auto* m = out->add_methods();
        m->set_method_name("read");
        m->set_service_name("event_store.client.streams.streams");
        for (const char* f : {"position", "events", "filter"})
            m->add_features(f);
        return grpc::Status::OK;
    }
};

} // namespace

int main(int argc, char** argv)
{
    long long n = 1000000;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--events") == 0)
            n = std::atoll(argv[i + 1]);
        else if (std::strcmp(argv[i], "--die-after") == 0)
            g_dieAfter = std::atoll(argv[i + 1]);
    const Log log(n);
    Streams streams(log);
    Features features;
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&streams);
    builder.RegisterService(&features);
    builder.SetMaxSendMessageSize(64 << 20);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || port <= 0) {
        std::fprintf(stderr, "kurrentgrpc_bulkserver: could not listen on 127.0.0.1\n");
        return 1;
    }
    std::printf("{\"port\":%d,\"events\":%lld}\n", port, n);
    std::fflush(stdout);
    server->Wait();
    return 0;
}
