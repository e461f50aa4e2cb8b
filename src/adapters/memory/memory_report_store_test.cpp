#include "adapters/memory/memory_report_store.h"

#include "adapters/report_store_contract_test.h"

namespace systole::adapters::contract {
namespace {

std::shared_ptr<ports::ReportStore> MakeMemory() { return std::make_shared<MemoryReportStore>(); }

INSTANTIATE_TEST_SUITE_P(Memory, ReportStoreContractTest, ::testing::Values(&MakeMemory));

}  // namespace
}  // namespace systole::adapters::contract
