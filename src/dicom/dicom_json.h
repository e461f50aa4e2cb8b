// The DICOM JSON model (PS3.18 F) of stored instances, and helpers to name
// attributes by keyword or tag.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace systole::dicom {

// "PatientName" or "00100010" → tag; nullopt if neither a known keyword nor 8 hex digits.
std::optional<std::uint32_t> TagFromKeywordOrHex(std::string_view text);

// Two-letter VR of a tag from the data dictionary ("UN" if unknown).
std::string VrOfTag(std::uint32_t tag);

// The PN value object of one person name: {"Alphabetic", "Ideographic", "Phonetic"} split at '='.
std::string PersonNameJson(std::string_view name);

// The dataset of a Part 10 file (meta header excluded) as one DICOM JSON
// object, plus AvailableTransferSyntaxUID (0008,3002): the stored syntax.
// Pixel data and other large binary values (over 1 KiB) become BulkDataURI
// "<bulk_uri_prefix>/<tag>", never inline. kInvalidArgument if the file
// cannot be parsed.
Result<std::string> InstanceJson(const std::filesystem::path& file, const std::string& bulk_uri_prefix);

// The raw value (little endian) of a top-level element of a Part 10 file: the bulk
// data a BulkDataURI names. kNotFound if the file has no such element.
Result<std::string> ElementValue(const std::filesystem::path& file, std::uint32_t tag);

}  // namespace systole::dicom
