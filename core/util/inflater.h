#pragma once
// The core's one zlib inflater: gzip files for the import and the source probe, zlib-compressed states of
// the Python eventsourcing layout. One z_stream, reset between uses (inflateInit allocates a 32 KiB
// window; a reader that inflates every event keeps one Inflater).

#include <QByteArray>
#include <QString>

#include <memory>

namespace chronoscope {

class Inflater
{
public:
    enum class Format {
        Zlib,        ///< RFC 1950 (zlib header), as Python's zlib.compress writes
        GzipOrZlib,  ///< RFC 1952 gzip, or zlib: told apart by the header
    };
    enum class Status {
        Progress,   ///< output written or input consumed; call again with more input or room
        StreamEnd,  ///< the compressed stream ended (more input may follow: a next gzip member)
        Error,      ///< corrupt data (errorText() says how)
    };

    explicit Inflater(Format format);
    ~Inflater();
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;

    /// False when zlib could not be set up (out of memory).
    bool ok() const;
    /// Starts a new stream (the same format). Input not yet consumed stays: a next gzip member may follow.
    bool reset();

    /// Streaming: the next compressed bytes. They must stay valid until consumed (inputLeft() == 0).
    void setInput(const char* data, qsizetype size);
    qsizetype inputLeft() const;
    /// Inflates into dst (at most max bytes); *produced says how many were written.
    Status inflateInto(char* dst, qsizetype max, qsizetype* produced);
    /// zlib's words for the last Error.
    QString errorText() const;

    /// One whole stream at once (after a reset): true when `in` holds a complete stream that inflates to at
    /// most maxOut bytes, written to *out. False for corrupt or cut-short data and for more than maxOut.
    bool inflateAll(const QByteArray& in, QByteArray* out, qsizetype maxOut);
    /// As much of the start of a stream as `in` holds, at most maxOut bytes (for a file's first bytes: a
    /// cut-short or damaged stream gives what came before the damage).
    QByteArray inflateHead(const QByteArray& in, qsizetype maxOut);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace chronoscope
