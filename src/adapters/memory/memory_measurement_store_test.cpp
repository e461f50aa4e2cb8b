#include "adapters/memory/memory_measurement_store.h"

#include "adapters/measurement_store_contract_test.h"

namespace systole::adapters::contract {
namespace {

std::shared_ptr<ports::MeasurementStore> MakeMemory() { return std::make_shared<MemoryMeasurementStore>(); }

INSTANTIATE_TEST_SUITE_P(Memory, MeasurementStoreContractTest, ::testing::Values(&MakeMemory));

}  // namespace
}  // namespace systole::adapters::contract
