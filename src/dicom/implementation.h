// Systole's DICOM implementation identity, written into meta headers and
// association negotiation.
#pragma once

namespace systole::dicom {

inline constexpr const char* kImplementationClassUid = "2.25.39101895148544465984756564972374929255";
inline constexpr const char* kImplementationVersionName = "SYSTOLE_010";

}  // namespace systole::dicom
