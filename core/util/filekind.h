#pragma once
// What a path is, for inputs and outputs that must be regular files. Inputs: a FIFO with no writer
// would block open() forever, and a device or socket is no event store. Outputs: only a regular file
// is ever replaced (`-o /dev/sda --force` must not turn a device node into a file).

#include <QByteArray>
#include <QString>

class QFile;

namespace chronoscope {

/// Empty for a regular file (symlinks followed) or a path that does not exist; otherwise what it is:
/// "a folder", "a FIFO (named pipe)", "a character device", "a block device", "a socket".
QString nonRegularKind(const QString& path);

/// Opens path read-only when it is a regular file. A FIFO is opened non-blocking first and refused, so
/// a FIFO without a writer never blocks; devices, sockets and folders are refused with what they are.
bool openRegularFile(QFile& file, const QString& path, QString* error);

/// May path be written as a new output? true when it does not exist, or is a regular file (or a link to
/// one) and overwrite is set. Otherwise false with *error: "exists (add --force …)" or what it is.
bool checkOutputPath(const QString& path, bool overwrite, QString* error);

/// A file written under `path + ".partial"` and renamed onto path by commit(), so an interrupted or
/// failed write never leaves a truncated file under the final name (the destructor removes the partial).
/// Unlike QSaveFile, the partial name is known: an interrupt handler can remove it (app/cli).
class PartialFile
{
public:
    explicit PartialFile(QString path);
    ~PartialFile();
    PartialFile(const PartialFile&) = delete;
    PartialFile& operator=(const PartialFile&) = delete;

    static QString partialPath(const QString& path) { return path + QStringLiteral(".partial"); }

    bool open(QString* error);
    /// false (with the reason kept for commit's error) when the bytes could not all be written.
    bool write(const char* data, qint64 size);
    bool write(const QByteArray& bytes) { return write(bytes.constData(), bytes.size()); }
    /// Flushes, closes and renames onto the final path; false with *error on any failure (disk full).
    bool commit(QString* error);
    /// Removes the partial file.
    void discard();
    QString errorString() const { return m_error; }

private:
    QString m_path;
    QString m_partial;
    int m_fd = -1;
    QString m_error;
};

} // namespace chronoscope
