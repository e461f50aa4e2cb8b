// Reading what Systole indexes out of a stored Part 10 file.
//
// ReadInstanceFile parses a file's whole structure without loading large
// values (pixel data stays on disk), converts text to UTF-8, and checks that
// the instance can be identified: SOP Class/Instance, Study and Series UIDs
// present and well-formed, meta header consistent with the dataset. Problems
// a real device commonly produces and that do not prevent identification are
// reported as warnings; anything else is a refusal (kInvalidArgument) whose
// message names the reason.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "domain/instance.h"

namespace systole::dicom {

struct ParsedInstance {
  domain::AttributeValues values;   // derived attributes left empty
  bool has_meta_header = true;      // false: a bare dataset (ACR-NEMA style or stripped meta)
  std::vector<std::string> warnings;
};

Result<ParsedInstance> ReadInstanceFile(const std::filesystem::path& path);

// True if `error` (from ReadInstanceFile) means the bytes are not readable
// DICOM at all, as opposed to readable but not identifiable or inconsistent.
bool IsUnreadable(const Error& error);

// Writes a Part 10 file at `out` made of a new meta header and, unchanged, the
// dataset bytes of `bare` (a file without meta header, as detected by
// ReadInstanceFile). Used by import so that every stored file is Part 10 while
// the dataset stays byte-for-byte what was received.
Status WrapBareDataset(const std::filesystem::path& bare, const ParsedInstance& parsed,
                       const std::filesystem::path& out);

}  // namespace systole::dicom
