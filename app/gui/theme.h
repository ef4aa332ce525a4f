#pragma once
// Light and dark palettes (Fusion style), chosen in View > Theme and kept in the settings.

#include <QString>

namespace chronoscope {

enum class Theme { System, Light, Dark };

void applyTheme(Theme theme);
QString themeName(Theme theme);
Theme themeFromName(const QString& name);

} // namespace chronoscope
