#include "dicom/report_objects.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmsr/dsrdoc.h>
#include <fmt/format.h>

namespace systole::dicom {
namespace {

// 2.25.<decimal of a 128-bit FNV-1a hash of `key`>: stable across runs and builds.
std::string DerivedUid(std::string_view key) {
  unsigned __int128 hash = (static_cast<unsigned __int128>(0x6c62272e07bb0142ULL) << 64) | 0x62b821756295c58dULL;
  const unsigned __int128 prime = (static_cast<unsigned __int128>(0x0000000001000000ULL) << 64) | 0x000000000000013BULL;
  for (unsigned char c : key) {
    hash ^= c;
    hash *= prime;
  }
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(hash % 10)));
    hash /= 10;
  } while (hash != 0);
  return "2.25." + digits;
}

std::string ObjectUid(const domain::ReportDocument& d, std::string_view what, int version) {
  return DerivedUid(fmt::format("systole-report|{}|{}|{}|{}", d.study_instance_uid, d.report_id, what, version));
}

// ISO 8601 "2026-11-22T10:15:00Z" → DT "20261122101500".
std::string IsoToDt(const std::string& iso) {
  std::string dt;
  for (char c : iso) {
    if (c == '.' || c == 'Z' || c == '+') break;
    if (c >= '0' && c <= '9') dt += c;
  }
  return dt;
}

std::string Truncate(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return text.substr(0, cut);
}

DSRCodedEntryValue Coded(const domain::Code& code, const std::string& fallback_id, const std::string& fallback_meaning) {
  if (!code.empty())
    return DSRCodedEntryValue(code.value.c_str(), code.scheme.c_str(),
                              Truncate(code.meaning.empty() ? fallback_meaning : code.meaning, 64).c_str());
  return DSRCodedEntryValue(Truncate(fallback_id, 16).c_str(), "99SYSTOLE", Truncate(fallback_meaning, 64).c_str());
}

Status Check(OFCondition condition, std::string_view what) {
  if (condition.good()) return {};
  return Fail(ErrorCode::kInvalidArgument, fmt::format("report SR: {}: {}", what, condition.text()));
}

Status AddText(DSRDocumentTree& tree, const DSRCodedEntryValue& concept_name, const std::string& text, DSRTypes::E_AddMode mode) {
  if (!tree.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Text, mode))
    return Fail(ErrorCode::kInvalidArgument, "report SR: cannot add a TEXT item");
  SYSTOLE_RETURN_IF_ERROR(Check(tree.getCurrentContentItem().setConceptName(concept_name), "concept name"));
  return Check(tree.getCurrentContentItem().setStringValue(text.c_str(), false), "text value");
}

Status AddValue(DSRDocumentTree& tree, const domain::ReportValue& v, DSRTypes::E_AddMode mode) {
  const auto name = Coded(v.code, v.field_id, v.label);
  if (v.kind == "number" && !v.value.empty()) {
    if (!tree.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Num, mode))
      return Fail(ErrorCode::kInvalidArgument, "report SR: cannot add a NUM item");
    auto& item = tree.getCurrentContentItem();
    SYSTOLE_RETURN_IF_ERROR(Check(item.setConceptName(name), v.field_id));
    const std::string unit = v.unit.empty() ? "1" : v.unit;
    DSRNumericMeasurementValue value(v.value.c_str(), DSRCodedEntryValue(unit.c_str(), "UCUM", unit.c_str()), false);
    return Check(item.setNumericValue(value), v.field_id + " = " + v.value);
  }
  if (v.kind == "choice" && !v.choice_code.empty()) {
    if (!tree.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Code, mode))
      return Fail(ErrorCode::kInvalidArgument, "report SR: cannot add a CODE item");
    auto& item = tree.getCurrentContentItem();
    SYSTOLE_RETURN_IF_ERROR(Check(item.setConceptName(name), v.field_id));
    return Check(item.setCodeValue(Coded(v.choice_code, v.value, v.value)), v.field_id);
  }
  return AddText(tree, name, v.value.empty() ? "-" : v.value, mode);
}

Status BuildTree(DSRDocumentTree& tree, const domain::ReportDocument& d) {
  if (!tree.addContentItem(DSRTypes::RT_isRoot, DSRTypes::VT_Container))
    return Fail(ErrorCode::kInternal, "report SR: cannot add the root");
  SYSTOLE_RETURN_IF_ERROR(Check(tree.getCurrentContentItem().setConceptName(
                                    DSRCodedEntryValue("18748-4", "LN", "Diagnostic imaging report")),
                                "root"));
  // Observation context (TID 1002): the signer, a person — so that the values of this SR, read back at
  // ingest as measurements, are attributed to the reader who signed them, not to a device.
  if (!tree.addContentItem(DSRTypes::RT_hasObsContext, DSRTypes::VT_Code, DSRTypes::AM_belowCurrent))
    return Fail(ErrorCode::kInternal, "report SR: cannot add the observer type");
  SYSTOLE_RETURN_IF_ERROR(Check(tree.getCurrentContentItem().setConceptName(DSRCodedEntryValue("121005", "DCM", "Observer Type")), "observer type"));
  SYSTOLE_RETURN_IF_ERROR(Check(tree.getCurrentContentItem().setCodeValue(DSRCodedEntryValue("121006", "DCM", "Person")), "observer type"));
  if (!tree.addContentItem(DSRTypes::RT_hasObsContext, DSRTypes::VT_PName, DSRTypes::AM_afterCurrent))
    return Fail(ErrorCode::kInternal, "report SR: cannot add the observer name");
  const auto& signer = d.signature.signer_display.empty() ? d.signature.signer : d.signature.signer_display;
  SYSTOLE_RETURN_IF_ERROR(Check(tree.getCurrentContentItem().setConceptName(DSRCodedEntryValue("121008", "DCM", "Person Observer Name")), "observer name"));
  SYSTOLE_RETURN_IF_ERROR(Check(tree.getCurrentContentItem().setStringValue(Truncate(signer, 64).c_str(), false), "observer name"));
  auto mode = DSRTypes::AM_afterCurrent;  // the sections follow the observation context
  for (const auto& section : d.sections) {
    if (section.values.empty()) continue;
    if (!tree.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Container, mode))
      return Fail(ErrorCode::kInternal, "report SR: cannot add a section");
    SYSTOLE_RETURN_IF_ERROR(Check(tree.getCurrentContentItem().setConceptName(
                                      DSRCodedEntryValue(Truncate(section.id, 16).c_str(), "99SYSTOLE",
                                                         Truncate(section.title, 64).c_str())),
                                  section.id));
    auto child = DSRTypes::AM_belowCurrent;
    for (const auto& v : section.values) {
      SYSTOLE_RETURN_IF_ERROR(AddValue(tree, v, child));
      child = DSRTypes::AM_afterCurrent;
    }
    tree.goUp();
    mode = DSRTypes::AM_afterCurrent;
  }
  if (!d.indication.empty()) {
    SYSTOLE_RETURN_IF_ERROR(AddText(tree, DSRCodedEntryValue("121109", "DCM", "Indications for Procedure"), d.indication, mode));
    mode = DSRTypes::AM_afterCurrent;
  }
  if (!d.findings.empty()) {
    SYSTOLE_RETURN_IF_ERROR(AddText(tree, DSRCodedEntryValue("121071", "DCM", "Finding"), d.findings, mode));
    mode = DSRTypes::AM_afterCurrent;
  }
  if (!d.impression.empty()) {
    SYSTOLE_RETURN_IF_ERROR(AddText(tree, DSRCodedEntryValue("121073", "DCM", "Impression"), d.impression, mode));
    mode = DSRTypes::AM_afterCurrent;
  }
  for (const auto& a : d.addenda) {
    SYSTOLE_RETURN_IF_ERROR(AddText(tree, DSRCodedEntryValue("55107-7", "LN", "Addendum"),
                                    fmt::format("{} (signed by {} at {})", a.text,
                                                a.signature.signer_display.empty() ? a.signature.signer : a.signature.signer_display,
                                                a.signature.signed_at),
                                    mode));
    mode = DSRTypes::AM_afterCurrent;
  }
  return {};
}

Status Save(DcmFileFormat& file, const std::filesystem::path& out) {
  OFCondition saved = file.saveFile(out.c_str(), EXS_LittleEndianExplicit);
  if (saved.bad()) return Fail(ErrorCode::kUnavailable, fmt::format("cannot write {}: {}", out.string(), saved.text()));
  return {};
}

void PutPatientAndStudy(DcmDataset& ds, const domain::ReportDocument& d) {
  ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
  ds.putAndInsertString(DCM_PatientName, d.patient.name.c_str());
  ds.putAndInsertString(DCM_PatientID, d.patient.identity.id.c_str());
  if (!d.patient.identity.issuer.empty()) ds.putAndInsertString(DCM_IssuerOfPatientID, d.patient.identity.issuer.c_str());
  ds.putAndInsertString(DCM_PatientBirthDate, d.patient.birth_date.c_str());
  ds.putAndInsertString(DCM_PatientSex, d.patient.sex.c_str());
  ds.putAndInsertString(DCM_StudyInstanceUID, d.study_instance_uid.c_str());
  ds.putAndInsertString(DCM_StudyDate, d.study_date.c_str());
  ds.putAndInsertString(DCM_StudyTime, d.study_time.c_str());
  ds.putAndInsertString(DCM_AccessionNumber, Truncate(d.accession_number, 16).c_str());
  ds.putAndInsertString(DCM_StudyDescription, Truncate(d.study_description, 64).c_str());
  ds.putAndInsertString(DCM_ReferringPhysicianName, d.referring_physician.c_str());
  ds.putAndInsertString(DCM_StudyID, "");
  ds.putAndInsertString(DCM_Manufacturer, "Systole");
  if (!d.institution.empty()) ds.putAndInsertString(DCM_InstitutionName, Truncate(d.institution, 64).c_str());
}

}  // namespace

ReportObjectUids ReportUids(const domain::ReportDocument& d) {
  ReportObjectUids uids;
  uids.sr_series = ObjectUid(d, "sr-series", 0);
  uids.sr_instance = ObjectUid(d, "sr", d.version);
  uids.pdf_series = ObjectUid(d, "pdf-series", 0);
  uids.pdf_instance = ObjectUid(d, "pdf", d.version);
  if (d.version > 1) uids.previous_sr_instance = ObjectUid(d, "sr", d.version - 1);
  return uids;
}

Status WriteReportSr(const domain::ReportDocument& d, const std::filesystem::path& out) {
  if (d.study_instance_uid.empty()) return Fail(ErrorCode::kInvalidArgument, "report SR: the report has no study");
  const auto uids = ReportUids(d);
  DSRDocument doc(DSRTypes::DT_ComprehensiveSR);
  SYSTOLE_RETURN_IF_ERROR(Check(doc.setSpecificCharacterSetType(DSRTypes::CS_UTF8), "character set"));
  SYSTOLE_RETURN_IF_ERROR(Check(doc.createNewSeriesInStudy(d.study_instance_uid.c_str()), "study"));
  SYSTOLE_RETURN_IF_ERROR(BuildTree(doc.getTree(), d));
  doc.setSeriesDescription("Cardiology report (SR)", false);
  doc.setSeriesNumber("901", false);
  doc.setInstanceNumber(std::to_string(d.version).c_str(), false);
  const std::string content_dt = IsoToDt(d.addenda.empty() ? d.signature.signed_at : d.addenda.back().signature.signed_at);
  if (content_dt.size() >= 14) {
    doc.setContentDate(content_dt.substr(0, 8).c_str(), false);
    doc.setContentTime(content_dt.substr(8, 6).c_str(), false);
  }
  SYSTOLE_RETURN_IF_ERROR(Check(doc.completeDocument(), "completion"));
  auto verify = [&](const domain::ReportSignature& s) {
    const std::string name = s.signer_display.empty() ? s.signer : s.signer_display;
    return Check(doc.verifyDocument(Truncate(name, 64).c_str(),
                                    DSRCodedEntryValue(Truncate(s.signer, 16).c_str(), "99SYSTOLE", Truncate(name, 64).c_str()),
                                    Truncate(d.institution.empty() ? "Systole" : d.institution, 64).c_str(),
                                    IsoToDt(s.signed_at).c_str(), false),
                 "verification by " + s.signer);
  };
  SYSTOLE_RETURN_IF_ERROR(verify(d.signature));
  for (const auto& a : d.addenda) SYSTOLE_RETURN_IF_ERROR(verify(a.signature));
  if (!uids.previous_sr_instance.empty())
    SYSTOLE_RETURN_IF_ERROR(Check(doc.getPredecessorDocuments().addItem(d.study_instance_uid.c_str(), uids.sr_series.c_str(),
                                                                        kComprehensiveSrClass,
                                                                        uids.previous_sr_instance.c_str()),
                                  "predecessor"));
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  SYSTOLE_RETURN_IF_ERROR(Check(doc.write(ds), "write"));
  PutPatientAndStudy(ds, d);
  ds.putAndInsertString(DCM_SeriesInstanceUID, uids.sr_series.c_str());
  ds.putAndInsertString(DCM_SOPInstanceUID, uids.sr_instance.c_str());
  return Save(file, out);
}

Status WriteEncapsulatedPdf(const domain::ReportDocument& d, std::string_view pdf, const std::filesystem::path& out) {
  if (d.study_instance_uid.empty()) return Fail(ErrorCode::kInvalidArgument, "report PDF: the report has no study");
  if (pdf.empty()) return Fail(ErrorCode::kInvalidArgument, "report PDF: no document");
  const auto uids = ReportUids(d);
  const std::string signed_dt =
      IsoToDt(d.addenda.empty() ? d.signature.signed_at : d.addenda.back().signature.signed_at);
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  PutPatientAndStudy(ds, d);
  ds.putAndInsertString(DCM_SOPClassUID, kEncapsulatedPdfClass);
  ds.putAndInsertString(DCM_SOPInstanceUID, uids.pdf_instance.c_str());
  ds.putAndInsertString(DCM_SeriesInstanceUID, uids.pdf_series.c_str());
  ds.putAndInsertString(DCM_Modality, "DOC");
  ds.putAndInsertString(DCM_SeriesNumber, "902");
  ds.putAndInsertString(DCM_SeriesDescription, "Cardiology report (PDF)");
  ds.putAndInsertString(DCM_ConversionType, "WSD");
  ds.putAndInsertString(DCM_InstanceNumber, std::to_string(d.version).c_str());
  ds.putAndInsertString(DCM_ContentDate, signed_dt.substr(0, 8).c_str());
  ds.putAndInsertString(DCM_ContentTime, signed_dt.size() >= 14 ? signed_dt.substr(8, 6).c_str() : "");
  ds.putAndInsertString(DCM_AcquisitionDateTime, signed_dt.c_str());
  ds.putAndInsertString(DCM_BurnedInAnnotation, "YES");
  ds.putAndInsertString(DCM_DocumentTitle, Truncate(d.template_title, 64).c_str());
  DcmItem* concept_item = nullptr;
  if (ds.findOrCreateSequenceItem(DCM_ConceptNameCodeSequence, concept_item, -2).good() && concept_item) {
    concept_item->putAndInsertString(DCM_CodeValue, "18748-4");
    concept_item->putAndInsertString(DCM_CodingSchemeDesignator, "LN");
    concept_item->putAndInsertString(DCM_CodeMeaning, "Diagnostic imaging report");
  }
  ds.putAndInsertString(DCM_MIMETypeOfEncapsulatedDocument, "application/pdf");
  ds.putAndInsertUint32(DCM_EncapsulatedDocumentLength, static_cast<Uint32>(pdf.size()));
  std::string padded(pdf);
  if (padded.size() % 2) padded.push_back('\0');
  ds.putAndInsertUint8Array(DCM_EncapsulatedDocument, reinterpret_cast<const Uint8*>(padded.data()),
                            static_cast<unsigned long>(padded.size()));
  DcmItem* source = nullptr;
  if (ds.findOrCreateSequenceItem(DCM_SourceInstanceSequence, source, -2).good() && source) {
    source->putAndInsertString(DCM_ReferencedSOPClassUID, kComprehensiveSrClass);
    source->putAndInsertString(DCM_ReferencedSOPInstanceUID, uids.sr_instance.c_str());
  }
  ds.putAndInsertString(DCM_InstanceCreationDate, signed_dt.substr(0, 8).c_str());
  return Save(file, out);
}

}  // namespace systole::dicom
