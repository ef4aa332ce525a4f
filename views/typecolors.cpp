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
    // Mid-saturation hues readable on both light and dark backgrounds; no reds (kept for failures).
    static const std::array<QRgb, 16> palette = {
        0x1f77b4, 0x2ca02c, 0xff7f0e, 0x9467bd, 0x17becf, 0x8c564b, 0xbcbd22, 0xe377c2,
        0x4e79a7, 0x59a14f, 0xedc948, 0xb07aa1, 0x76b7b2, 0x9c755f, 0xf28e2b, 0x7f7f7f};
    static const std::array<QRgb, 4> reds = {0xd62728, 0xff5a5f, 0xb2182b, 0xff9896};
    if (isFailureType(typeName))
        return QColor(reds[size_t(qAbs(typeId)) % reds.size()]);
    return QColor(palette[size_t(qAbs(typeId)) % palette.size()]);
}

} // namespace chronoscope
