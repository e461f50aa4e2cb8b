// UID syntax (PS3.5 9.1): digits and dots, at most 64 characters, no empty
// component, no leading zero in a multi-digit component.
#pragma once

#include <string_view>

namespace systole::dicom {

enum class UidCheck {
  kValid,
  kLeadingZero,  // only fault: a component like "01"; real devices send these, we accept with a warning
  kInvalid,
};

UidCheck CheckUid(std::string_view uid);

}  // namespace systole::dicom
