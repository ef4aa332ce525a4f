#pragma once
// Import input (internal to core/import): a plain or gzip-compressed file, read in chunks.

#include "util/filekind.h"
#include "util/inflater.h"

#include <QFile>
#include <QString>

#include <algorithm>
#include <memory>

namespace chronoscope::importer {

class InputFile
{
public:
    bool open(const QString& path, QString* error)
    {
        // Only regular files: a FIFO without a writer would block open() forever (util/filekind.h).
        if (!openRegularFile(m_file, path, error))
            return false;
        m_size = m_file.size();
        char magic[2] = {0, 0};
        const qint64 n = m_file.peek(magic, 2);
        if (n == 2 && uchar(magic[0]) == 0x1f && uchar(magic[1]) == 0x8b) {
            m_gzip = true;
            m_inflater = std::make_unique<Inflater>(Inflater::Format::GzipOrZlib);
            if (!m_inflater->ok()) {
                *error = QStringLiteral("%1: cannot start gzip decompression").arg(path);
                return false;
            }
            m_in.resize(1024 * 1024);
        }
        return true;
    }

    bool gzip() const { return m_gzip; }
    qint64 rawDone() const { return m_rawDone; }
    qint64 rawSize() const { return m_size; }
    /// A problem found while reading (corrupt or cut-short gzip); what was read before stays valid.
    QString problem() const { return m_problem; }

    /// Up to max bytes of JSON text; 0 at the end (or after a problem); -1 on a read error.
    qint64 read(char* dst, qint64 max)
    {
        if (!m_gzip) {
            const qint64 n = m_file.read(dst, max);
            if (n > 0)
                m_rawDone += n;
            if (n < 0)
                m_problem = m_file.errorString();
            return n;
        }
        if (m_finished)
            return 0;
        qint64 done = 0;
        max = std::min<qint64>(max, 1 << 30);
        while (done < max) {
            if (m_inflater->inputLeft() == 0) {
                const qint64 n = m_file.read(m_in.data(), m_in.size());
                if (n < 0) {
                    m_problem = m_file.errorString();
                    return -1;
                }
                if (n == 0) {
                    if (!m_memberDone)
                        m_problem = QStringLiteral("the gzip data is cut short (the file ends inside it)");
                    m_finished = true;
                    break;
                }
                m_rawDone += n;
                m_inflater->setInput(m_in.constData(), n);
            }
            if (m_memberDone) {
                // Concatenated gzip members (as `cat a.gz b.gz` makes) decompress as one text.
                m_inflater->reset();
                m_memberDone = false;
            }
            qsizetype produced = 0;
            const Inflater::Status st = m_inflater->inflateInto(dst + done, max - done, &produced);
            done += produced;
            if (st == Inflater::Status::StreamEnd) {
                m_memberDone = true;
            } else if (st == Inflater::Status::Error) {
                m_problem = QStringLiteral("the gzip data is corrupt (%1); the rest of the file was not read")
                                .arg(m_inflater->errorText());
                m_finished = true;
                break;
            }
        }
        return done;
    }

private:
    QFile m_file;
    qint64 m_size = 0;
    qint64 m_rawDone = 0;
    bool m_gzip = false;
    bool m_memberDone = false;
    bool m_finished = false;
    std::unique_ptr<Inflater> m_inflater;
    QByteArray m_in;
    QString m_problem;
};

} // namespace chronoscope::importer
