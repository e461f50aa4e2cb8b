#include "dicom/sr_reader.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmsr/dsrcodvl.h>
#include <dcmtk/dcmsr/dsrdncsr.h>
#include <dcmtk/dcmsr/dsrdoc.h>
#include <dcmtk/dcmsr/dsrimgvl.h>
#include <dcmtk/dcmsr/dsrnumvl.h>
#include <dcmtk/dcmsr/dsrstrvl.h>
#include <fmt/format.h>

#include <array>

namespace systole::dicom {
namespace {

domain::Code ToCode(const DSRCodedEntryValue& value) {
  if (value.isEmpty()) return {};
  return domain::Code{value.getCodeValue().c_str(), value.getCodingSchemeDesignator().c_str(),
                      value.getCodeMeaning().c_str()};
}

std::string Text(const char* text) { return text ? std::string(text) : std::string(); }

SrContentItem ToItem(const DSRDocumentTreeNode& node) {
  SrContentItem item;
  if (node.getRelationshipType() != DSRTypes::RT_isRoot)
    item.relationship = Text(DSRTypes::relationshipTypeToDefinedTerm(node.getRelationshipType()));
  item.value_type = Text(DSRTypes::valueTypeToDefinedTerm(node.getValueType()));
  item.concept_name = ToCode(node.getConceptName());
  if (const auto* num = dynamic_cast<const DSRNumericMeasurementValue*>(&node)) {
    if (!num->getNumericValue().empty()) {
      item.numeric = num->getNumericValue().c_str();
      item.unit = ToCode(num->getMeasurementUnit());
    }
    if (!num->getNumericValueQualifier().isEmpty()) item.qualifier = ToCode(num->getNumericValueQualifier());
  } else if (const auto* code = dynamic_cast<const DSRCodedEntryValue*>(&node)) {
    item.code = ToCode(*code);
  } else if (const auto* text = dynamic_cast<const DSRStringValue*>(&node)) {
    item.text = text->getValue().c_str();
  } else if (const auto* reference = dynamic_cast<const DSRCompositeReferenceValue*>(&node)) {
    domain::ImageReference image{reference->getSOPClassUID().c_str(), reference->getSOPInstanceUID().c_str(), {}};
    if (const auto* picture = dynamic_cast<const DSRImageReferenceValue*>(&node)) {
      const auto& frames = picture->getFrameList();
      for (std::size_t i = 1; i <= frames.getNumberOfItems(); ++i)
        image.frames += (image.frames.empty() ? "" : "\\") + std::to_string(frames.getItem(i));
    }
    item.image = std::move(image);
  }
  return item;
}

// Copies the subtree below the node `cursor` points at (by-value items only).
void CopyChildren(const DSRDocumentTreeNodeCursor& cursor, SrContentItem& out, int depth) {
  if (depth > 64) return;  // a content tree this deep is an attack or a bug, not a report
  DSRDocumentTreeNodeCursor child(cursor);
  if (!cursor.hasChildNodes() || child.goDown() == 0) return;
  do {
    const DSRDocumentTreeNode* node = child.getNode();
    if (node == nullptr || node->getValueType() == DSRTypes::VT_byReference) continue;
    SrContentItem item = ToItem(*node);
    CopyChildren(child, item, depth + 1);
    out.children.push_back(std::move(item));
  } while (child.gotoNext() != 0);
}

}  // namespace

bool IsSrStorageClass(std::string_view sop_class_uid) {
  static constexpr std::array<std::string_view, 19> kClasses{{
      UID_BasicTextSRStorage,
      UID_EnhancedSRStorage,
      UID_ComprehensiveSRStorage,
      UID_Comprehensive3DSRStorage,
      UID_ExtensibleSRStorage,
      UID_ProcedureLogStorage,
      UID_MammographyCADSRStorage,
      UID_ChestCADSRStorage,
      UID_ColonCADSRStorage,
      UID_XRayRadiationDoseSRStorage,
      UID_RadiopharmaceuticalRadiationDoseSRStorage,
      UID_AcquisitionContextSRStorage,
      UID_SimplifiedAdultEchoSRStorage,
      UID_PatientRadiationDoseSRStorage,
      UID_PlannedImagingAgentAdministrationSRStorage,
      UID_PerformedImagingAgentAdministrationSRStorage,
      UID_EnhancedXRayRadiationDoseSRStorage,
      UID_KeyObjectSelectionDocumentStorage,
      UID_ImplantationPlanSRDocumentStorage,
  }};
  for (auto uid : kClasses)
    if (uid == sop_class_uid) return true;
  return false;
}

Result<SrDocument> ReadSrFile(const std::filesystem::path& path) {
  DcmFileFormat file;
  OFCondition status = file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
  if (status.bad()) return Fail(ErrorCode::kInvalidArgument, fmt::format("not readable DICOM: {}", status.text()));
  DcmDataset& dataset = *file.getDataset();
  if (dataset.tagExists(DCM_SpecificCharacterSet)) (void)dataset.convertToUTF8();
  DSRDocument document;
  status =
      document.read(dataset, DSRTypes::RF_acceptUnknownRelationshipType | DSRTypes::RF_ignoreRelationshipConstraints |
                                 DSRTypes::RF_acceptInvalidContentItemValue | DSRTypes::RF_skipInvalidContentItems);
  if (status.bad())
    return Fail(ErrorCode::kInvalidArgument, fmt::format("not a readable SR document: {}", status.text()));
  SrDocument out;
  OFString value;
  if (document.getSOPClassUID(value).good()) out.sop_class_uid = value.c_str();
  if (document.getSOPInstanceUID(value).good()) out.sop_instance_uid = value.c_str();
  if (document.getStudyInstanceUID(value).good()) out.study_instance_uid = value.c_str();
  if (document.getSeriesInstanceUID(value).good()) out.series_instance_uid = value.c_str();
  if (document.getManufacturer(value).good()) out.manufacturer = value.c_str();
  DSRDocumentTreeNodeCursor cursor;
  if (!document.getTree().getCursorToRootNode(cursor) || cursor.getNode() == nullptr)
    return Fail(ErrorCode::kInvalidArgument, "SR document without content");
  const DSRDocumentTreeNode& root = *cursor.getNode();
  OFString template_id, mapping;
  if (root.getTemplateIdentification(template_id, mapping).good()) out.template_id = template_id.c_str();
  out.root = ToItem(root);
  CopyChildren(cursor, out.root, 0);
  return out;
}

}  // namespace systole::dicom
