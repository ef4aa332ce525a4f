// Harness for the SQLite readers: the native store (core/store/sqlitestore) and the foreign layouts
// (core/sources: Emmett, Python eventsourcing, cqrs-es) behind openSource(). The input is written to a
// temporary file that always starts with the SQLite header (so every input reaches a SQLite reader rather
// than the file importer) and opened as a user would open it; whatever opens is read through every entry
// point, bounded so a run stays short. Properties:
// - no crash, overflow or leak, whatever the pages hold; a refusal carries a message;
// - what read() delivers is consistent: positions strictly increase forward and decrease backward, a
//   limit is honoured, count() agrees with a full read when both succeed on a file SQLite finds intact;
// - the file is never changed and nothing is created next to it (the explorer never writes to a store).
#include "fuzz_support.h"

#include "sources/sourceregistry.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <sqlite3.h>

using namespace chronoscope;

namespace {

constexpr qint64 kMaxEvents = 2000; // per read: keeps one run short whatever the file claims

// 32 bytes 0..31, base64: the key the eventsourcing seeds' encrypted states were made with.
const char* const kCipherKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

QTemporaryDir& workDir()
{
    static QTemporaryDir dir(QDir::tempPath() + QLatin1String("/chronoscope-fuzz-sqlite-XXXXXX"));
    return dir;
}

struct ReadResult
{
    bool ok = false;
    qint64 events = 0;
    qint64 firstPosition = 0;
    QString error;
};

// SQLite's own verdict on the file. On a damaged b-tree two queries may legitimately see different rows.
bool intact(const QString& path)
{
    sqlite3* db = nullptr;
    bool ok = false;
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            ok = qstrcmp(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok") == 0;
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return ok;
}

ReadResult readChecked(EventReader& reader, const EventQuery& query, const QString& path)
{
    ReadResult r;
    qint64 last = 0;
    bool ordered = true;
    r.ok = reader.read(
        query,
        [&](const Event& e) {
            if (r.events == 0)
                r.firstPosition = e.position;
            else if (query.backward ? e.position >= last : e.position <= last)
                ordered = false;
            last = e.position;
            (void)e.toCanonicalJson(); // what the CLI prints: exercises every field
            return ++r.events < kMaxEvents;
        },
        &r.error);
    // SQLite may hand back rows of a damaged b-tree in any order; an intact file must come out ordered.
    if (!ordered)
        FUZZ_CHECK(!intact(path), "positions out of %s order", query.backward ? "backward" : "forward");
    FUZZ_CHECK(query.limit < 0 || r.events <= query.limit, "limit %lld gave %lld events",
               static_cast<long long>(query.limit), static_cast<long long>(r.events));
    FUZZ_CHECK(r.ok || !r.error.isEmpty(), "a failed read without an error");
    return r;
}

void exercise(EventReader& reader, const QString& path)
{
    const StoreInfo info = reader.info();
    (void)info;
    const QList<StreamInfo> streams = reader.streams();

    const ReadResult all = readChecked(reader, EventQuery{}, path);
    QString countError;
    const qint64 n = reader.count(EventQuery{}, &countError);
    if (all.ok && all.events < kMaxEvents && n >= 0 && countError.isEmpty() && n != all.events)
        FUZZ_CHECK(!intact(path), "count() says %lld, read() delivered %lld", static_cast<long long>(n),
                   static_cast<long long>(all.events));

    EventQuery back;
    back.backward = true;
    back.limit = 3;
    readChecked(reader, back, path);

    for (qsizetype i = 0; i < streams.size() && i < 3; ++i) {
        EventQuery q;
        q.stream = streams[i].stream;
        readChecked(reader, q, path);
        q.fromVersion = streams[i].lastVersion;
        q.limit = 1;
        readChecked(reader, q, path);
        EventQuery byType;
        byType.types = {QStringLiteral("Created"), QStringLiteral("x")};
        byType.since = streams[i].firstTime;
        readChecked(reader, byType, path);
    }
    if (all.events > 0) {
        QString error;
        (void)reader.eventAt(all.firstPosition, &error);
    }
    QString error;
    if (auto copy = reader.clone(&error)) (void)copy->streams();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    fuzz::ensureApp();
    qputenv("QT_LOGGING_RULES", "*.debug=false;*.warning=false");
    return workDir().isValid() ? 0 : 1;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const QByteArray kHeader("SQLite format 3\0", 16);
    QByteArray file = fuzz::bytes(data, size);
    if (file.size() < kHeader.size()) return 0;
    file.replace(0, kHeader.size(), kHeader);

    const QDir dir(workDir().path());
    const QString path = dir.filePath(QStringLiteral("store.sqlite"));
    {
        QFile f(path);
        FUZZ_CHECK(f.open(QIODevice::WriteOnly | QIODevice::Truncate), "cannot write %s", qPrintable(path));
        f.write(file);
    }
    const QStringList before = dir.entryList(QDir::Files | QDir::Hidden);

    OpenOptions options;
    options.cacheDir = dir.filePath(QStringLiteral("cache"));
    options.params.insert(QStringLiteral("cipherKey"), QString::fromLatin1(kCipherKey));
    QString error;
    if (auto reader = openSource(path, options, &error))
        exercise(*reader, path);
    else
        FUZZ_CHECK(!error.isEmpty(), "refused without a message");

    QFile f(path);
    FUZZ_CHECK(f.open(QIODevice::ReadOnly) && f.readAll() == file, "the store file changed");
    const QStringList after = dir.entryList(QDir::Files | QDir::Hidden);
    FUZZ_CHECK(after == before, "files appeared next to the store: %s", qPrintable(after.join(u' ')));
    for (const QString& name : after)
        QFile::remove(dir.filePath(name));
    return 0;
}
