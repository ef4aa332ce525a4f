#include "theme.h"

#include <QApplication>
#include <QPainter>
#include <QPalette>
#include <QProxyStyle>
#include <QStyleOption>
#include <QStyle>
#include <QStyleFactory>

namespace chronoscope {

namespace {

/// Fusion draws a check box's (and an item view's check mark's) box in a shade of the window colour, which on
/// a dark palette all but disappears. This style draws Fusion's box and then outlines it in the palette's
/// placeholder-text grey, which is chosen to be readable on Base and Window.
class ReadableIndicatorStyle : public QProxyStyle
{
public:
    ReadableIndicatorStyle() : QProxyStyle(QStyleFactory::create(QStringLiteral("Fusion"))) {}

    void drawPrimitive(PrimitiveElement element, const QStyleOption* option, QPainter* painter, const QWidget* widget) const override
    {
        QProxyStyle::drawPrimitive(element, option, painter, widget);
        if (element != PE_IndicatorCheckBox && element != PE_IndicatorItemViewItemCheck && element != PE_IndicatorRadioButton)
            return;
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing, element == PE_IndicatorRadioButton);
        painter->setBrush(Qt::NoBrush);
        painter->setPen(QPen(option->palette.color(QPalette::PlaceholderText), 1));
        const QRectF box = QRectF(option->rect).adjusted(0.5, 0.5, -0.5, -0.5);
        if (element == PE_IndicatorRadioButton)
            painter->drawEllipse(box);
        else
            painter->drawRect(box);
        painter->restore();
    }
};

QPalette lightPalette()
{
    QPalette p;
    p.setColor(QPalette::Window, QColor(0xf3f4f6));
    p.setColor(QPalette::WindowText, QColor(0x1f2328));
    p.setColor(QPalette::Base, QColor(0xffffff));
    p.setColor(QPalette::AlternateBase, QColor(0xf6f8fa));
    p.setColor(QPalette::Text, QColor(0x1f2328));
    p.setColor(QPalette::PlaceholderText, QColor(0x6e7781));
    p.setColor(QPalette::Button, QColor(0xeef0f3));
    p.setColor(QPalette::ButtonText, QColor(0x1f2328));
    p.setColor(QPalette::Highlight, QColor(0x2f6fdf));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x0a58ca));
    p.setColor(QPalette::LinkVisited, QColor(0x6f42c1));
    p.setColor(QPalette::Mid, QColor(0xb8bec6));
    p.setColor(QPalette::ToolTipBase, QColor(0xffffe8));
    p.setColor(QPalette::ToolTipText, QColor(0x1f2328));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x8c959f));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x8c959f));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x8c959f));
    return p;
}

QPalette darkPalette()
{
    QPalette p;
    p.setColor(QPalette::Window, QColor(0x23272e));
    p.setColor(QPalette::WindowText, QColor(0xe6edf3));
    p.setColor(QPalette::Base, QColor(0x1a1d23));
    p.setColor(QPalette::AlternateBase, QColor(0x22262d));
    p.setColor(QPalette::Text, QColor(0xe6edf3));
    p.setColor(QPalette::PlaceholderText, QColor(0x9198a1));
    p.setColor(QPalette::Button, QColor(0x2d333b));
    p.setColor(QPalette::ButtonText, QColor(0xe6edf3));
    p.setColor(QPalette::Highlight, QColor(0x3b82f6));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x6cb6ff));
    p.setColor(QPalette::LinkVisited, QColor(0xd2a8ff));
    p.setColor(QPalette::Mid, QColor(0x4b535d));
    p.setColor(QPalette::Dark, QColor(0x15181d));
    p.setColor(QPalette::Light, QColor(0x3a414b));
    p.setColor(QPalette::ToolTipBase, QColor(0x2d333b));
    p.setColor(QPalette::ToolTipText, QColor(0xe6edf3));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x6e7681));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x6e7681));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x6e7681));
    return p;
}

} // namespace

void applyTheme(Theme theme)
{
    // Fusion draws from the palette alone, so both palettes look the same on every platform.
    QApplication::setStyle(theme == Theme::Dark ? static_cast<QStyle*>(new ReadableIndicatorStyle)
                                                : QStyleFactory::create(QStringLiteral("Fusion")));
    switch (theme) {
    case Theme::System:
        QApplication::setPalette(QApplication::style()->standardPalette());
        break;
    case Theme::Light:
        QApplication::setPalette(lightPalette());
        break;
    case Theme::Dark:
        QApplication::setPalette(darkPalette());
        break;
    }
}

QString themeName(Theme theme)
{
    switch (theme) {
    case Theme::Light:
        return QStringLiteral("light");
    case Theme::Dark:
        return QStringLiteral("dark");
    default:
        return QStringLiteral("system");
    }
}

Theme themeFromName(const QString& name)
{
    if (name == QLatin1String("light"))
        return Theme::Light;
    if (name == QLatin1String("dark"))
        return Theme::Dark;
    return Theme::System;
}

} // namespace chronoscope
