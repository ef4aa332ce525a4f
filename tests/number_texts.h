#pragma once
// Number texts that Qt's JSON parser or writer would change (or refuse), and a few it keeps: every
// one must come out of state, diff, blame, the CLI and the views exactly as written.

#include <QByteArray>
#include <QList>

namespace chronoscope::testdata {

inline QList<QByteArray> numberTexts()
{
    return {"1.10",  "-205.0", "12345678901234567890123", "1e400", "-1e400", "1E5", "1e+5", "0.000",
            "1.0e-7", "9007199254740993", "-0", "0.1e-2", "1e-400", "12.5", "0.0001", "9223372036854775808",
            "-9223372036854775809", "5e-324", "42"};
}

} // namespace chronoscope::testdata
