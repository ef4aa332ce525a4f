#pragma once
// Shared by the libFuzzer harnesses (docs/fuzzing.md). A harness checks properties that must hold for
// every input; FUZZ_CHECK turns a broken one into a crash libFuzzer records (with the input that did it).

#include <QByteArray>
#include <QCoreApplication>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, ...)                                                                                \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond);           \
            std::fprintf(stderr, __VA_ARGS__);                                                               \
            std::fprintf(stderr, "\n");                                                                      \
            std::abort();                                                                                    \
        }                                                                                                    \
    } while (0)

namespace fuzz {

/// The fuzzer's bytes as a QByteArray (a deep copy, so ASan sees reads past the input's end).
inline QByteArray bytes(const uint8_t* data, size_t size)
{
    return QByteArray(reinterpret_cast<const char*>(data), qsizetype(size));
}

/// Splits the input at the first occurrence of sep: two independent inputs from one buffer.
inline std::pair<QByteArray, QByteArray> split(const QByteArray& in, char sep)
{
    const qsizetype at = in.indexOf(sep);
    if (at < 0) return {in, QByteArray()};
    return {in.left(at), in.mid(at + 1)};
}

/// Some code under test uses Qt facilities that expect an application object; one for the whole run.
inline void ensureApp()
{
    static int argc = 1;
    static char name[] = "chronoscope-fuzz";
    static char* argv[] = {name, nullptr};
    if (!QCoreApplication::instance()) new QCoreApplication(argc, argv);
}

} // namespace fuzz
