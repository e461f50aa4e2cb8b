#include "adapters/memory/memory_index.h"

#include "adapters/index_contract_test.h"
#include "adapters/patient_directory_contract_test.h"

namespace systole::adapters::contract {
namespace {

IndexUnderTest MakeMemory() {
  auto index = std::make_shared<MemoryIndex>();
  return {index, index};
}

INSTANTIATE_TEST_SUITE_P(Memory, IndexContractTest, ::testing::Values(&MakeMemory));

PatientsUnderTest MakeMemoryPatients() {
  auto index = std::make_shared<MemoryIndex>();
  return {index, index, index};
}

INSTANTIATE_TEST_SUITE_P(Memory, PatientDirectoryContractTest, ::testing::Values(&MakeMemoryPatients));

}  // namespace
}  // namespace systole::adapters::contract
