#include "presentwindows.h"

#include "mainwindow.h"
#include "story/storytemplate.h"
#include "util/uri.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPainter>
#include <QScreen>
#include <QSettings>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include <cstdio>

namespace chronoscope::present {

namespace {

QString clock(qint64 ms)
{
    const qint64 s = std::max<qint64>(0, ms / 1000);
    return QStringLiteral("%1:%2").arg(s / 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'));
}

QString speedText(double s)
{
    return s >= 1 ? QStringLiteral("×%1").arg(QString::number(s, 'g', 6))
                  : QStringLiteral("×1/%1").arg(QString::number(1 / s, 'g', 6));
}

bool darkUi(const QWidget* w)
{
    return w->palette().color(QPalette::Base).lightness() < 128;
}

QLabel* heading(const QString& text, QWidget* parent)
{
    auto* l = new QLabel(text, parent);
    l->setObjectName(QStringLiteral("presenterHeading"));
    QFont f = l->font();
    f.setBold(true);
    l->setFont(f);
    return l;
}

} // namespace

AudienceView::AudienceView(Presentation* p, QWidget* parent) : QWidget(parent), m_presentation(p)
{
    setObjectName(QStringLiteral("audienceView"));
    setAttribute(Qt::WA_OpaquePaintEvent);
    setFocusPolicy(Qt::StrongFocus);
    setCursor(Qt::BlankCursor);
    setMinimumSize(320, 180);
    connect(p, &Presentation::audienceChanged, this, qOverload<>(&QWidget::update));
}

void AudienceView::setDark(bool dark)
{
    m_dark = dark;
    update();
}

QImage AudienceView::render(QSize size) const
{
    QImage img(size, QImage::Format_RGB32);
    QPainter p(&img);
    paintAudienceFrame(p, QRectF(QPointF(0, 0), QSizeF(size)), m_presentation->audienceFrame(),
                       m_dark ? AudiencePalette::darkPalette() : AudiencePalette::light());
    return img;
}

void AudienceView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    paintAudienceFrame(p, QRectF(rect()), m_presentation->audienceFrame(),
                       m_dark ? AudiencePalette::darkPalette() : AudiencePalette::light());
}

PresenterPanel::PresenterPanel(Presentation* p, AudienceView* audience, QWidget* parent)
    : QWidget(parent), m_presentation(p), m_audience(audience), m_header(new QLabel(this)), m_clock(new QLabel(this)),
      m_mode(new QLabel(this)), m_message(new QLabel(this)), m_notes(new QTextBrowser(this)),
      m_facts(new QListWidget(this)), m_beats(new QListWidget(this)), m_next(new QLabel(this)),
      m_nextTitle(new QLabel(this)), m_keys(new QLabel(this))
{
    setObjectName(QStringLiteral("presenterPanel"));
    setWindowTitle(tr("Presenter — %1").arg(p->story().title));
    m_header->setObjectName(QStringLiteral("presenterHeader"));
    m_clock->setObjectName(QStringLiteral("presenterClock"));
    m_mode->setObjectName(QStringLiteral("presenterMode"));
    m_message->setObjectName(QStringLiteral("presenterMessage"));
    m_notes->setObjectName(QStringLiteral("presenterNotes"));
    m_facts->setObjectName(QStringLiteral("presenterFacts"));
    m_beats->setObjectName(QStringLiteral("presenterBeats"));
    m_next->setObjectName(QStringLiteral("presenterNext"));
    m_keys->setObjectName(QStringLiteral("presenterKeys"));
    QFont big = font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    big.setBold(true);
    m_header->setFont(big);
    m_header->setWordWrap(true);
    QFont mid = font();
    mid.setPointSizeF(mid.pointSizeF() * 1.25);
    m_clock->setFont(mid);
    m_mode->setFont(mid);
    m_message->setWordWrap(true);
    QFont notesFont = font();
    notesFont.setPointSizeF(notesFont.pointSizeF() * 1.8); // read at a glance, from a step away
    m_notes->setFont(notesFont);
    m_notes->setOpenLinks(false);
    m_facts->setFont(mid);
    m_facts->setWordWrap(true);
    m_beats->setUniformItemSizes(true);
    m_next->setFixedSize(384, 216);
    m_next->setAlignment(Qt::AlignCenter);
    m_next->setFrameShape(QFrame::StyledPanel);
    m_nextTitle->setWordWrap(true);
    m_keys->setWordWrap(true);
    m_keys->setTextFormat(Qt::RichText);
    m_keys->setText(tr("<b>Space</b>/<b>→</b> next step · <b>←</b> back · <b>PgDn</b>/<b>PgUp</b> chapter · "
                       "<b>4</b> <b>Enter</b> go to chapter 4 · <b>T</b> step ⇄ real time · <b>+</b>/<b>−</b> speed · "
                       "hold <b>D</b> raw event · <b>B</b> blank · <b>Esc</b> leave"));
    // Nothing in here takes the keys: they drive the presentation (the lists are for reading).
    for (QWidget* w : {static_cast<QWidget*>(m_notes), static_cast<QWidget*>(m_facts), static_cast<QWidget*>(m_beats)})
        w->setFocusPolicy(Qt::NoFocus);
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(12, 12, 12, 12);
    grid->setHorizontalSpacing(16);
    auto* left = new QVBoxLayout;
    left->addWidget(m_header);
    left->addWidget(m_clock);
    left->addWidget(m_mode);
    left->addWidget(m_message);
    left->addWidget(heading(tr("Speaker notes"), this));
    left->addWidget(m_notes, 3);
    left->addWidget(heading(tr("Facts, checked against the store now"), this));
    left->addWidget(m_facts, 2);
    auto* right = new QVBoxLayout;
    right->addWidget(heading(tr("Next chapter, as it ends"), this));
    right->addWidget(m_next);
    right->addWidget(m_nextTitle);
    right->addWidget(heading(tr("Steps of this chapter"), this));
    right->addWidget(m_beats, 1);
    grid->addLayout(left, 0, 0);
    grid->addLayout(right, 0, 1);
    grid->addWidget(m_keys, 1, 0, 1, 2);
    grid->setColumnStretch(0, 3);
    grid->setColumnStretch(1, 2);
    connect(p, &Presentation::presenterChanged, this, &PresenterPanel::refresh);
    applyTones();
    refresh();
}

void PresenterPanel::applyTones()
{
    // Readable on the app's light or dark palette (the dark one is the --theme dark / View ▸ Theme choice).
    const bool dark = darkUi(this);
    const QString muted = dark ? QStringLiteral("#9ca3af") : QStringLiteral("#4b5563");
    for (QLabel* l : findChildren<QLabel*>(QStringLiteral("presenterHeading")))
        l->setStyleSheet(QStringLiteral("color: %1; margin-top: 6px;").arg(muted));
    m_message->setStyleSheet(QStringLiteral("color: %1; font-weight: bold;")
                                 .arg(dark ? QStringLiteral("#fbbf24") : QStringLiteral("#b45309")));
    m_factsChapter = -2; // the facts' colours are set when they are listed
}

QColor PresenterPanel::factColour(bool holds) const
{
    // Okabe–Ito bluish green and vermillion, darkened on a light background and lightened on a dark one so
    // the text keeps a 4.5:1 contrast; the ✓/✗ carries the meaning without colour.
    if (darkUi(this)) return holds ? QColor(0x3c, 0xc8, 0x9e) : QColor(0xff, 0x8a, 0x4c);
    return holds ? QColor(0x00, 0x7a, 0x5a) : QColor(0xb3, 0x3c, 0x00);
}

void PresenterPanel::changeEvent(QEvent* e)
{
    QWidget::changeEvent(e);
    if (e->type() == QEvent::PaletteChange) {
        applyTones();
        refresh();
    }
}

void PresenterPanel::refresh()
{
    const Presentation& p = *m_presentation;
    const Frame& f = p.shownFrame();
    const int chapter = f.chapter;
    const std::shared_ptr<const ChapterInfo> info = f.info;
    if (chapter < 0) {
        m_header->setText(tr("Preparing chapter 1 of %1…").arg(p.chapterCount()));
    } else {
        QString beat;
        if (f.live)
            beat = tr(" · live: %1 new events").arg(f.audience.beats);
        else if (p.beatCount() > 0)
            beat = tr(" · step %1 of %2").arg(p.beat() + 1).arg(p.beatCount());
        m_header->setText(tr("Chapter %1 of %2: %3%4")
                              .arg(chapter + 1)
                              .arg(p.chapterCount())
                              .arg(p.story().chapters[chapter].title, beat));
    }
    bool complete = false;
    const qint64 planned = p.plannedMs(&complete);
    QString clockText = tr("Elapsed %1 · planned %2%3").arg(clock(p.elapsedMs()), clock(planned), complete ? QString() : tr(" so far"));
    if (info && chapter >= 0)
        clockText += tr(" · this chapter %1, planned to end at %2")
                         .arg(clock(info->plannedMs), clock(p.plannedBeforeMs(chapter) + info->plannedMs));
    m_clock->setText(clockText);
    QString mode = p.realtime() ? tr("Real time %1").arg(speedText(p.speed())) : tr("Step by step");
    if (p.isBlank()) mode += tr(" · screen blanked (B)");
    if (p.isWaitingLive()) mode += tr(" · waiting for a live event");
    if (!p.digits().isEmpty()) mode += tr(" · go to chapter %1▌ (Enter)").arg(p.digits());
    m_mode->setText(mode);
    m_message->setText(p.message());
    m_message->setVisible(!p.message().isEmpty());
    if (chapter != m_factsChapter || !info) {
        m_factsChapter = chapter;
        m_notes->setMarkdown(info ? info->notes : QString());
        if (info && info->notes.isEmpty()) m_notes->setPlainText(tr("(no notes for this chapter)"));
        m_facts->clear();
        if (info) {
            for (const FactLine& fl : info->facts) {
                auto* item = new QListWidgetItem(
                    fl.holds ? QStringLiteral("✓ %1").arg(fl.text)
                             : QStringLiteral("✗ %1 — the store has %2").arg(fl.text, fl.actual),
                    m_facts);
                item->setForeground(factColour(fl.holds));
                item->setData(Qt::UserRole, fl.holds);
            }
            if (!info->factsError.isEmpty())
                (new QListWidgetItem(tr("✗ the facts cannot be checked: %1").arg(info->factsError), m_facts))
                    ->setForeground(factColour(false));
            if (info->facts.isEmpty() && info->factsError.isEmpty()) new QListWidgetItem(tr("(no facts for this chapter)"), m_facts);
        }
    }
    if (chapter != m_beatsChapter) {
        m_beatsChapter = chapter;
        m_beats->clear();
        if (info) {
            QStringList rows;
            for (int i = 0; i < info->stepLabels.size(); ++i)
                rows << QStringLiteral("%1. %2").arg(i + 1).arg(info->stepLabels[i]);
            m_beats->addItems(rows);
        }
    }
    if (!f.live && p.beat() < m_beats->count()) {
        m_beats->setCurrentRow(p.beat());
        m_beats->scrollToItem(m_beats->currentItem(), QAbstractItemView::PositionAtCenter);
    }
    // The next chapter: a thumbnail once its frame is laid out, its title before.
    if (chapter + 1 >= p.chapterCount() && chapter >= 0) {
        m_next->setPixmap({});
        m_next->setText(tr("(last chapter)"));
        m_nextTitle->clear();
        m_thumbChapter = chapter;
    } else if (const Frame* next = p.nextChapterFrame(); next && (m_thumbChapter != chapter || m_thumbDark != m_audience->isDark())) {
        m_thumbChapter = chapter;
        m_thumbDark = m_audience->isDark();
        QImage img(1920, 1080, QImage::Format_RGB32);
        {
            QPainter painter(&img);
            paintAudienceFrame(painter, QRectF(0, 0, 1920, 1080), next->audience,
                               m_thumbDark ? AudiencePalette::darkPalette() : AudiencePalette::light());
        }
        m_next->setPixmap(QPixmap::fromImage(img.scaled(m_next->size(), Qt::KeepAspectRatio, Qt::SmoothTransformation)));
        m_nextTitle->setText(tr("%1. %2").arg(chapter + 2).arg(p.story().chapters[chapter + 1].title));
    } else if (!next && chapter + 1 < p.chapterCount()) {
        if (m_thumbChapter != chapter) {
            m_next->setPixmap({});
            m_next->setText(tr("laying out…"));
        }
        m_nextTitle->setText(tr("%1. %2").arg(chapter + 2).arg(p.story().chapters[std::max(0, chapter + 1)].title));
    }
}

QString PresenterPanel::headerText() const { return m_header->text(); }
QString PresenterPanel::notesText() const { return m_notes->toPlainText(); }
QString PresenterPanel::clockText() const { return m_clock->text(); }
QString PresenterPanel::modeText() const { return m_mode->text(); }
QString PresenterPanel::messageText() const { return m_message->text(); }
QString PresenterPanel::nextText() const { return m_nextTitle->text(); }
bool PresenterPanel::hasThumbnail() const { return !m_next->pixmap().isNull(); }
int PresenterPanel::currentBeatRow() const { return m_beats->currentRow(); }

QList<QColor> PresenterPanel::factColours() const
{
    QList<QColor> out;
    for (int i = 0; i < m_facts->count(); ++i)
        out << m_facts->item(i)->foreground().color();
    return out;
}

QStringList PresenterPanel::factTexts() const
{
    QStringList out;
    for (int i = 0; i < m_facts->count(); ++i)
        out << m_facts->item(i)->text();
    return out;
}

QStringList PresenterPanel::beatTexts() const
{
    QStringList out;
    for (int i = 0; i < m_beats->count(); ++i)
        out << m_beats->item(i)->text();
    return out;
}

PresentWindows::PresentWindows(Presentation* presentation, const Options& o, QObject* parent)
    : QObject(parent), m_presentation(presentation), m_audienceWindow(new QMainWindow)
{
    presentation->setParent(this);
    m_audienceWindow->setAttribute(Qt::WA_DeleteOnClose, false);
    m_audienceWindow->setObjectName(QStringLiteral("audienceWindow"));
    m_audienceWindow->setWindowTitle(presentation->story().title);
    m_audience = new AudienceView(presentation, m_audienceWindow);
    m_audience->setDark(o.dark);
    m_audienceWindow->setCentralWidget(m_audience);
    const QList<QScreen*> screens = QGuiApplication::screens();
    QScreen* audienceScreen = screens.isEmpty() ? nullptr
                              : o.screen >= 0 && o.screen < screens.size() ? screens[o.screen]
                                                                            : screens.last();
    m_presenter = new PresenterPanel(presentation, m_audience);
    if (screens.size() > 1 || o.presenterWindow) {
        // Two screens: the presenter's view in a window of its own on a screen the audience does not see.
        QScreen* other = screens.size() < 2 ? audienceScreen : screens.first() == audienceScreen ? screens[1] : screens.first();
        m_presenterWindow = m_presenter;
        m_presenter->setAttribute(Qt::WA_DeleteOnClose, false);
        if (o.show && !o.presenterWindow) {
            m_presenter->setScreen(other);
            m_presenter->setGeometry(other->availableGeometry());
            m_presenter->showMaximized();
        }
    } else {
        // One screen (a rehearsal on a laptop): the presenter's view docks beside the audience frame.
        m_dock = new QDockWidget(tr("Presenter"), m_audienceWindow);
        m_dock->setObjectName(QStringLiteral("presenterDock"));
        m_dock->setWidget(m_presenter);
        m_dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
        m_audienceWindow->addDockWidget(Qt::RightDockWidgetArea, m_dock);
        m_presenterWindow = m_audienceWindow;
    }
    if (o.show) {
        if (audienceScreen) m_audienceWindow->setScreen(audienceScreen);
        if (o.fullScreen && audienceScreen) {
            // No chrome: frameless, covering the whole screen.
            m_audienceWindow->setWindowFlag(Qt::FramelessWindowHint);
            m_audienceWindow->setGeometry(audienceScreen->geometry());
            m_audienceWindow->showFullScreen();
        } else {
            m_audienceWindow->resize(o.size);
            m_audienceWindow->show();
        }
        m_audience->setFocus();
    } else {
        m_audienceWindow->resize(o.size);
    }
    qApp->installEventFilter(this);
    connect(presentation, &Presentation::finished, this, [this] {
        m_audienceWindow->hide();
        if (m_presenterWindow) m_presenterWindow->hide();
        Q_EMIT closed();
    });
}

PresentWindows::~PresentWindows()
{
    qApp->removeEventFilter(this);
    if (!m_dock) delete m_presenter;
    delete m_audienceWindow;
}

QWidget* PresentWindows::presenterWindow() const
{
    return m_presenterWindow;
}

bool PresentWindows::ours(QObject* o) const
{
    auto* w = qobject_cast<QWidget*>(o);
    if (!w) return false;
    QWidget* top = w->window();
    return top == m_audienceWindow || top == m_presenter;
}

bool PresentWindows::eventFilter(QObject* watched, QEvent* event)
{
    if ((event->type() == QEvent::KeyPress || event->type() == QEvent::KeyRelease) && ours(watched)) {
        auto* k = static_cast<QKeyEvent*>(event);
        const bool used = event->type() == QEvent::KeyPress ? m_presentation->handleKey(k)
                                                             : m_presentation->handleKeyRelease(k);
        if (used) return true;
    }
    if (event->type() == QEvent::Close && (watched == m_audienceWindow || watched == m_presenter)) {
        m_presentation->leave();
    }
    return QObject::eventFilter(watched, event);
}

} // namespace chronoscope::present

namespace chronoscope::present {

QAction* makePresentAction(QWidget* window, std::function<std::shared_ptr<EventReader>()> reader,
                           std::function<LiveSource()> live)
{
    auto* action = new QAction(QObject::tr("&Present Story…"), window);
    action->setObjectName(QStringLiteral("presentStoryAction"));
    action->setShortcut(Qt::Key_F5);
    QObject::connect(action, &QAction::triggered, window, [window, reader, live] {
        const QString path = QFileDialog::getOpenFileName(window, QObject::tr("Present Story"), QString(),
                                                          QObject::tr("Stories (*.chronostory.json *.json)"));
        if (path.isEmpty()) return;
        auto* p = new Presentation;
        QString error;
        if (!p->loadStory(path, &error)) {
            delete p;
            QMessageBox::warning(window, QObject::tr("Present Story"), error);
            return;
        }
        // The window's store, cloned here (the clone is then used by the presentation's thread only).
        if (std::shared_ptr<EventReader> r = reader()) {
            auto clone = std::shared_ptr<EventReader>(r->clone(&error).release());
            if (!clone) {
                delete p;
                QMessageBox::warning(window, QObject::tr("Present Story"), error);
                return;
            }
            // The worker takes the clone (it is used there only).
            p->setReaderFactory([clone](QString* why) { return clone->clone(why); });
            // A remote store: live chapters follow it (the window's URI and scope; nothing of it is stored).
            if (live) {
                const LiveSource source = live();
                if (!source.uri.isEmpty()) p->setLiveSource(source.uri, source.scope);
            }
        }
        if (!p->hasReaderFactory()) {
            if (const QString demo = demoStoreFallback(p->story()); !demo.isEmpty()) p->setStoreUri(demo);
        }
        PresentWindows::Options o;
        o.dark = QSettings().value(QStringLiteral("theme")).toString() == QLatin1String("dark");
        auto* windows = new PresentWindows(p, o, window);
        QObject::connect(windows, &PresentWindows::closed, windows, &QObject::deleteLater);
        p->start(0, 0);
    });
    return action;
}

QString demoStoreFallback(const story::Story& story)
{
    // The shipped stories name the demo store next to their folder (resources/demo.chronoscope), where an
    // installed tree has it; a source checkout builds it under build/<preset>/resources/ instead.
    const QString source = story.resolvedSourceUri();
    if (source.isEmpty() || looksLikeUri(source) || QFileInfo::exists(source) ||
        QFileInfo(source).fileName() != QLatin1String("demo.chronoscope"))
        return {};
    const QString bundled = MainWindow::bundledDemoPath();
    return QFileInfo::exists(bundled) ? QFileInfo(bundled).absoluteFilePath() : QString();
}

int runPresentMode(const PresentArgs& a)
{
    auto* p = new Presentation;
    QString error;
    if (!p->loadStory(a.story, &error)) {
        std::fprintf(stderr, "chronoscope: %s\n", qPrintable(error));
        delete p;
        return 2;
    }
    if (!a.store.isEmpty()) {
        p->setStoreUri(a.store);
    } else if (const QString demo = demoStoreFallback(p->story()); !demo.isEmpty()) {
        std::fprintf(stderr, "chronoscope: %s is not there; presenting on the app's demo store %s\n",
                     qPrintable(QDir::toNativeSeparators(QDir::cleanPath(p->story().resolvedSourceUri()))),
                     qPrintable(demo));
        p->setStoreUri(demo);
    }
    const bool shooting = a.screenshotChapter != 0;
    if (shooting && (a.screenshotChapter < 1 || a.screenshotChapter > p->chapterCount())) {
        std::fprintf(stderr, "chronoscope: --screenshot-chapter %d: the story has chapters 1 to %d\n",
                     a.screenshotChapter, p->chapterCount());
        delete p;
        return 1;
    }
    if (shooting && a.file.isEmpty()) {
        std::fprintf(stderr, "chronoscope: --screenshot-chapter N FILE: the file is missing\n");
        delete p;
        return 1;
    }
    PresentWindows::Options o;
    o.dark = a.dark;
    o.screen = a.screen;
    o.fullScreen = !shooting;
    o.presenterWindow = shooting && a.presenter;
    o.size = QSize(1920, 1080);
    PresentWindows windows(p, o);
    int rc = 0;
    QObject::connect(&windows, &PresentWindows::closed, qApp, [] { QCoreApplication::exit(0); });
    if (!shooting) {
        p->start(0, 0);
        return QApplication::exec();
    }
    p->start(a.screenshotChapter - 1, -1);
    if (a.presenter) {
        windows.presenter()->resize(1600, 1000);
        windows.presenter()->show();
    }
    QElapsedTimer clock;
    clock.start();
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, qApp, [&] {
        // The asked-for frame, and for the presenter the next chapter's thumbnail and every chapter's plan.
        bool ready = p->isIdle() && p->chapter() == a.screenshotChapter - 1;
        if (a.presenter) {
            bool planned = false;
            p->plannedMs(&planned);
            ready = ready && planned && (p->nextChapterFrame() || p->chapter() + 1 >= p->chapterCount());
        }
        if (!ready && clock.elapsed() < 120000) return;
        poll.stop();
        const Frame& f = p->shownFrame();
        if (!ready || !f.error.isEmpty()) {
            std::fprintf(stderr, "chronoscope: chapter %d cannot be shown: %s\n", a.screenshotChapter,
                         qPrintable(f.error.isEmpty() ? QStringLiteral("timed out") : f.error));
            QCoreApplication::exit(2);
            return;
        }
        windows.presenter()->refresh();
        const QImage img = a.presenter ? windows.presenter()->grab().toImage() : windows.audience()->render(o.size);
        if (!img.save(a.file, "PNG")) {
            std::fprintf(stderr, "chronoscope: could not write %s\n", qPrintable(a.file));
            QCoreApplication::exit(2);
            return;
        }
        std::printf("%s\n", qPrintable(QFileInfo(a.file).absoluteFilePath()));
        QCoreApplication::exit(0);
    });
    poll.start(50);
    rc = QApplication::exec();
    return rc;
}

} // namespace chronoscope::present
