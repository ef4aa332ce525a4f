#include "streambrowserdelegate.h"

#include <QApplication>
#include <QPainter>
#include <QStyle>

namespace chronoscope {

void StreamItemDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                               const QModelIndex& index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString text = opt.text;
    const QWidget* widget = opt.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    opt.text.clear(); // the style draws the panel, selection and focus; the text comes from the cache
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);
    if (text.isEmpty()) return;
    // The same rectangle and margins as the style's own text (QCommonStyle: the focus frame's margin + 1).
    opt.text = text;
    const int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, &opt, widget) + 1;
    const QRect rect =
        style->subElementRect(QStyle::SE_ItemViewItemText, &opt, widget).adjusted(margin, 0, -margin, 0);
    if (rect.width() <= 0) return;
    const QString key = text + QChar(0x1f) + QString::number(rect.width()) + QChar(0x1f) + opt.font.key();
    auto cached = m_cache.constFind(key);
    if (cached == m_cache.constEnd()) {
        if (m_cache.size() >= kCacheSize) m_cache.clear();
        QStaticText laidOut(opt.fontMetrics.elidedText(text, opt.textElideMode, rect.width()));
        laidOut.setTextFormat(Qt::PlainText);
        laidOut.prepare(QTransform(), opt.font);
        cached = m_cache.insert(key, laidOut);
    }
    const QSizeF size = cached->size();
    qreal x = rect.left();
    if (opt.displayAlignment & Qt::AlignRight)
        x = rect.right() + 1 - size.width();
    else if (opt.displayAlignment & Qt::AlignHCenter)
        x = rect.left() + (rect.width() - size.width()) / 2;
    const qreal y = rect.top() + (rect.height() - size.height()) / 2;
    const QPalette::ColorGroup group = !(opt.state & QStyle::State_Enabled) ? QPalette::Disabled
                                       : (opt.state & QStyle::State_Active) ? QPalette::Normal
                                                                            : QPalette::Inactive;
    painter->save();
    painter->setFont(opt.font);
    painter->setPen(opt.palette.color(group, (opt.state & QStyle::State_Selected) ? QPalette::HighlightedText
                                                                                  : QPalette::Text));
    painter->setClipRect(rect);
    painter->drawStaticText(QPointF(x, y), *cached);
    painter->restore();
}

} // namespace chronoscope
