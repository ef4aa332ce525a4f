#pragma once
// The stream tree's cells: background, selection and focus drawn by the style, the text from a cache of
// elided QStaticText per (text, width, font). Painting an open category of a live tail repaints every
// visible row whenever a stream is inserted above; laying the same strings out again each time (Qt shapes
// and elides every cell's text on every paint) was most of that paint's cost.

#include <QHash>
#include <QStaticText>
#include <QStyledItemDelegate>

namespace chronoscope {

class StreamItemDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;

    /// Texts laid out so far (kept up to kCacheSize, then started over).
    int cachedTexts() const { return int(m_cache.size()); }
    static constexpr int kCacheSize = 4096;

private:
    mutable QHash<QString, QStaticText> m_cache;
};

} // namespace chronoscope
