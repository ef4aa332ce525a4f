#include "util/filekind.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace chronoscope {

namespace {

QString kindOf(mode_t mode)
{
    if (S_ISREG(mode))
        return {};
    if (S_ISDIR(mode))
        return QStringLiteral("a folder");
    if (S_ISFIFO(mode))
        return QStringLiteral("a FIFO (named pipe)");
    if (S_ISCHR(mode))
        return QStringLiteral("a character device");
    if (S_ISBLK(mode))
        return QStringLiteral("a block device");
    if (S_ISSOCK(mode))
        return QStringLiteral("a socket");
    return QStringLiteral("not a regular file");
}

QString errnoText(int e) { return QString::fromLocal8Bit(std::strerror(e)); }

} // namespace

QString nonRegularKind(const QString& path)
{
    struct stat st;
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return {};
    return kindOf(st.st_mode);
}

bool openRegularFile(QFile& file, const QString& path, QString* error)
{
    // O_NONBLOCK: opening a FIFO for reading blocks until a writer appears; non-blocking, open returns at
    // once and fstat tells what it is. Checking before open (stat) would leave a window for a swap.
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (error)
            *error = QStringLiteral("%1: cannot be read (%2)").arg(path, errnoText(errno));
        return false;
    }
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const int e = errno;
        ::close(fd);
        if (error)
            *error = S_ISREG(st.st_mode) ? QStringLiteral("%1: cannot be read (%2)").arg(path, errnoText(e))
                                         : QStringLiteral("%1 is %2, not a regular file: inputs are read from files "
                                                          "(save a stream first, e.g. cat PIPE > FILE)")
                                               .arg(path, kindOf(st.st_mode));
        return false;
    }
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0)
        ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    if (!file.open(fd, QIODevice::ReadOnly | QIODevice::Unbuffered, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        if (error)
            *error = QStringLiteral("%1: cannot be read (%2)").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool checkOutputPath(const QString& path, bool overwrite, QString* error)
{
    struct stat st;
    const QByteArray name = QFile::encodeName(path);
    if (::lstat(name.constData(), &st) != 0)
        return true; // nothing there (a dangling link is replaced like a missing file)
    if (S_ISLNK(st.st_mode) && ::stat(name.constData(), &st) != 0)
        return true;
    const QString kind = kindOf(st.st_mode);
    if (!kind.isEmpty()) {
        if (error)
            *error = QStringLiteral("%1 is %2, not a regular file: only regular files are written or replaced")
                         .arg(path, kind);
        return false;
    }
    if (!overwrite) {
        if (error)
            *error = QStringLiteral("%1 already exists (add --force to overwrite it)").arg(path);
        return false;
    }
    return true;
}

PartialFile::PartialFile(QString path) : m_path(std::move(path)), m_partial(partialPath(m_path)) {}

PartialFile::~PartialFile()
{
    discard();
}

bool PartialFile::open(QString* error)
{
    const QByteArray name = QFile::encodeName(m_partial);
    ::unlink(name.constData()); // a .partial left by a killed run is ours to replace
    // O_EXCL | O_NOFOLLOW: never write through a link someone put under the partial name.
    m_fd = ::open(name.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (m_fd < 0) {
        if (error)
            *error = QStringLiteral("%1: cannot be written (%2)").arg(m_path, errnoText(errno));
        return false;
    }
    return true;
}

bool PartialFile::write(const char* data, qint64 size)
{
    if (m_fd < 0)
        return false;
    while (size > 0) {
        const ssize_t n = ::write(m_fd, data, size_t(size));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            m_error = errnoText(n < 0 ? errno : ENOSPC);
            return false;
        }
        data += n;
        size -= n;
    }
    return true;
}

bool PartialFile::commit(QString* error)
{
    auto fail = [&](const QString& why) {
        if (error)
            *error = QStringLiteral("%1: write failed (%2)").arg(m_path, why);
        discard();
        return false;
    };
    if (m_fd < 0)
        return fail(m_error.isEmpty() ? QStringLiteral("not open") : m_error);
    if (!m_error.isEmpty())
        return fail(m_error);
    // A full disk can show only here (delayed allocation on some file systems): check both.
    if (::fsync(m_fd) != 0 && errno != EINVAL)
        return fail(errnoText(errno));
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) {
        m_fd = -1;
        const QString why = errnoText(errno);
        ::unlink(QFile::encodeName(m_partial).constData());
        if (error)
            *error = QStringLiteral("%1: write failed (%2)").arg(m_path, why);
        return false;
    }
    // The final name may have become a device or FIFO meanwhile: rename replaces only the link, never
    // writes into it, so the device itself is untouched either way; refuse it to keep the rule simple.
    QString why;
    if (!nonRegularKind(m_path).isEmpty() && !checkOutputPath(m_path, true, &why)) {
        ::unlink(QFile::encodeName(m_partial).constData());
        if (error)
            *error = why;
        return false;
    }
    if (::rename(QFile::encodeName(m_partial).constData(), QFile::encodeName(m_path).constData()) != 0) {
        const QString e = errnoText(errno);
        ::unlink(QFile::encodeName(m_partial).constData());
        if (error)
            *error = QStringLiteral("%1: cannot be written (%2)").arg(m_path, e);
        return false;
    }
    return true;
}

void PartialFile::discard()
{
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
        ::unlink(QFile::encodeName(m_partial).constData());
    }
}

} // namespace chronoscope
