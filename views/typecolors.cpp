#include "typecolors.h"

#include <array>

namespace chronoscope {

bool isFailureType(const QString& t)
{
    static const char* const words[] = {"fail", "error", "reject", "timeout", "timedout", "declin", "cancel", "abort"};
    for (const char* w : words)
        if (t.contains(QLatin1String(w), Qt::CaseInsensitive))
            return true;
    return false;
}

QColor typeColor(int typeId, const QString& typeName)
{
    // Distinct mid-saturation colours readable on light and dark backgrounds, ordered so neighbours in the
    // list differ strongly; no reds (kept for failures).
    static const std::array<QRgb, 24> palette = {
        0x1f77b4, 0x2ca02c, 0xff7f0e, 0x9467bd, 0x17becf, 0x8c564b, 0xbcbd22, 0xe377c2,
        0x393b79, 0x637939, 0xd6a93b, 0x7b4173, 0x3182bd, 0x31a354, 0xfdae6b, 0x756bb1,
        0x6baed6, 0x74c476, 0xa55194, 0x8c6d31, 0x9edae5, 0x5254a3, 0xb5cf6b, 0x7f7f7f};
    static const std::array<QRgb, 4> reds = {0xd62728, 0xe7969c, 0xad494a, 0xff5a5f};
    if (isFailureType(typeName))
        return QColor(reds[size_t(qAbs(typeId)) % reds.size()]);
    return QColor(palette[size_t(qAbs(typeId)) % palette.size()]);
}

} // namespace chronoscope
