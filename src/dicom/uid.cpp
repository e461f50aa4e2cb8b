#include "dicom/uid.h"

namespace systole::dicom {

UidCheck CheckUid(std::string_view uid) {
  if (uid.empty() || uid.size() > 64) return UidCheck::kInvalid;
  bool leading_zero = false;
  std::size_t component_start = 0;
  for (std::size_t i = 0; i <= uid.size(); ++i) {
    if (i == uid.size() || uid[i] == '.') {
      std::size_t len = i - component_start;
      if (len == 0) return UidCheck::kInvalid;
      if (len > 1 && uid[component_start] == '0') leading_zero = true;
      component_start = i + 1;
    } else if (uid[i] < '0' || uid[i] > '9') {
      return UidCheck::kInvalid;
    }
  }
  return leading_zero ? UidCheck::kLeadingZero : UidCheck::kValid;
}

}  // namespace systole::dicom
