// ArchiveSender: the "archive" destination — the signed version as a
// Comprehensive SR and an Encapsulated PDF (dicom/report_objects.h), both
// stored through the one ingest pipeline so they are indexed and served like
// any instance. A retry stores the same instances again (same UIDs): a
// duplicate counts as delivered.
#pragma once

#include "services/delivery/delivery_service.h"
#include "services/delivery/report_pdf.h"
#include "services/ingest/ingest_service.h"

namespace systole::services {

DeliverySender ArchiveSender(IngestService& ingest, PdfOptions pdf_options);

}  // namespace systole::services
