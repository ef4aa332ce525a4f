#include "util/inflater.h"

#include <zlib.h>

#include <algorithm>

namespace chronoscope {

struct Inflater::Impl
{
    z_stream zs{};
    bool ok = false;
    QString error;
};

Inflater::Inflater(Format format) : d(std::make_unique<Impl>())
{
    // windowBits 15: the largest window, as every writer uses; +32: gzip or zlib by their headers.
    d->ok = inflateInit2(&d->zs, format == Format::Zlib ? 15 : 15 + 32) == Z_OK;
}

Inflater::~Inflater()
{
    if (d->ok)
        inflateEnd(&d->zs);
}

bool Inflater::ok() const
{
    return d->ok;
}

bool Inflater::reset()
{
    d->error.clear();
    return d->ok && inflateReset(&d->zs) == Z_OK;
}

void Inflater::setInput(const char* data, qsizetype size)
{
    d->zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    d->zs.avail_in = uInt(size);
}

qsizetype Inflater::inputLeft() const
{
    return qsizetype(d->zs.avail_in);
}

Inflater::Status Inflater::inflateInto(char* dst, qsizetype max, qsizetype* produced)
{
    *produced = 0;
    if (!d->ok) {
        d->error = QStringLiteral("cannot start decompression");
        return Status::Error;
    }
    d->zs.next_out = reinterpret_cast<Bytef*>(dst);
    d->zs.avail_out = uInt(std::min<qsizetype>(max, 1 << 30));
    const int rc = inflate(&d->zs, Z_NO_FLUSH);
    *produced = qsizetype(reinterpret_cast<char*>(d->zs.next_out) - dst);
    if (rc == Z_STREAM_END)
        return Status::StreamEnd;
    if (rc == Z_OK || rc == Z_BUF_ERROR)  // Z_BUF_ERROR: no progress possible without more input or room
        return Status::Progress;
    d->error = QString::fromLatin1(d->zs.msg ? d->zs.msg : "inflate failed");
    return Status::Error;
}

QString Inflater::errorText() const
{
    return d->error;
}

bool Inflater::inflateAll(const QByteArray& in, QByteArray* out, qsizetype maxOut)
{
    if (!reset())
        return false;
    setInput(in.constData(), in.size());
    out->resize(std::min<qsizetype>(std::max<qsizetype>(1024, in.size() * 4), maxOut));
    qsizetype done = 0;
    for (;;) {
        qsizetype n = 0;
        const Status s = inflateInto(out->data() + done, out->size() - done, &n);
        done += n;
        if (s != Status::Progress) {
            out->truncate(done);
            return s == Status::StreamEnd;
        }
        if (done < out->size() || out->size() >= maxOut) {  // input ended before the stream did, or too big
            out->truncate(done);
            return false;
        }
        out->resize(std::min<qsizetype>(out->size() * 2, maxOut));
    }
}

QByteArray Inflater::inflateHead(const QByteArray& in, qsizetype maxOut)
{
    if (!reset())
        return {};
    setInput(in.constData(), in.size());
    QByteArray out(maxOut, Qt::Uninitialized);
    qsizetype n = 0;
    inflateInto(out.data(), out.size(), &n);
    out.truncate(n);
    return out;
}

} // namespace chronoscope
