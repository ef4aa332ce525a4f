#pragma once
// The JavaScript source of the projection API (evaluated once per engine before the user's script).

namespace chronoscope {

const char* projectionPreludeSource();

} // namespace chronoscope
