#pragma once
// Exports that need no GUI: a draft story from a correlation chain, and a story bundle (a new native
// store file with only the chapters' events, redacted, plus the story and a manifest).

#include "story/storyengine.h"

namespace chronoscope::story {

/// The SHA-256 of a local file, lowercase hex ("" with *error when it cannot be read).
QString fileSha256(const QString& path, QString* error);

/// A URI for a manifest or a draft: user name, password and query parameters dropped.
QString uriWithoutSecrets(const QString& uri);

/// Walks the events with this correlation id (and the event whose id it is), cuts a chapter at each
/// change of actor or gap longer than a minute, and writes a story with glossary defaults and count
/// facts. False with *error when no event carries the id.
bool draftStory(EventReader& reader, const QString& uri, const QString& correlation, QByteArray* out,
                QString* error);

struct BundleResult
{
    qint64 events = 0;
    QStringList redacted; ///< pointers redacted or hidden in at least one event
};

/// Writes `output` (refusing an existing file unless overwrite): every beat of every chapter, positions
/// and versions kept, data with hidden paths removed and redaction applied, metadata reduced to the
/// correlation and causation ids; the story text and a manifest in the meta table. The source is only read.
bool writeBundle(StoryEngine& engine, const QString& sourceUri, const QString& sourceSha256,
                 const QString& output, BundleResult* result, QString* error, bool overwrite = false);

} // namespace chronoscope::story
