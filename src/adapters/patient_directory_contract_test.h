// The contract every PatientDirectory adapter passes: include this header in an
// adapter's test and instantiate it with a factory that makes an empty index.
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, PatientDirectoryContractTest, ::testing::Values(&MakeSqlitePatients));
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "adapters/test_records.h"
#include "ports/identity_index.h"
#include "ports/patient_directory.h"
#include "ports/study_index.h"

namespace systole::adapters::contract {

struct PatientsUnderTest {
  std::shared_ptr<ports::InstanceIndex> instances;
  std::shared_ptr<ports::PatientRegistry> registry;
  std::shared_ptr<ports::PatientDirectory> directory;
};
using PatientsFactory = PatientsUnderTest (*)();

class PatientDirectoryContractTest : public ::testing::TestWithParam<PatientsFactory> {
 protected:
  void SetUp() override {
    index_ = GetParam()();
    // From ADT: the same ID under two issuers, and one more patient.
    ASSERT_TRUE(index_.registry->UpsertPatient({{"P9", "HOSP_B"}, "ROE^BOB", "19710101", "M"}, true));
    ASSERT_TRUE(index_.registry->UpsertPatient({{"P9", "HOSP_A"}, "ROE^ANN", "19700101", "F"}, true));
    ASSERT_TRUE(index_.registry->UpsertPatient({{"OLD", "HOSP_A"}, "OLD^ONE", "", ""}, true));
    // From a stored file only (no issuer).
    ASSERT_TRUE(index_.instances->AddInstance(MakeRecord("F1", "1.2.3.1", "1.2.3.1.1", "1.2.3.1.1.1"), false));
  }

  std::vector<std::string> Find(const ports::PatientLookup& lookup) {
    auto found = index_.directory->FindPatients(lookup);
    EXPECT_TRUE(found) << found.error().message;
    std::vector<std::string> out;
    for (const auto& p : *found) out.push_back(p.identity.id + "|" + p.identity.issuer + "|" + p.name);
    return out;
  }

  PatientsUnderTest index_;
};

TEST_P(PatientDirectoryContractTest, ListsPatientsFromAdtAndFromFilesOrderedByIdThenIssuer) {
  EXPECT_EQ(Find({}), (std::vector<std::string>{"F1||DOE^F1", "OLD|HOSP_A|OLD^ONE", "P9|HOSP_A|ROE^ANN",
                                                "P9|HOSP_B|ROE^BOB"}));
}

TEST_P(PatientDirectoryContractTest, MatchesIdExactlyAndIssuerWhenGiven) {
  EXPECT_EQ(Find({"P9", std::nullopt}).size(), 2u);
  EXPECT_EQ(Find({"P9", "HOSP_B"}), (std::vector<std::string>{"P9|HOSP_B|ROE^BOB"}));
  EXPECT_TRUE(Find({"P9", ""}).empty());
  EXPECT_TRUE(Find({"P", std::nullopt}).empty());
  EXPECT_EQ(Find({"F1", ""}), (std::vector<std::string>{"F1||DOE^F1"}));
}

TEST_P(PatientDirectoryContractTest, MergedPatientsAreNotListed) {
  ASSERT_TRUE(index_.registry->MergePatients({{"P9", "HOSP_A"}, "ROE^ANN", "19700101", "F"}, {"OLD", "HOSP_A"}, "A40-1"));
  EXPECT_TRUE(Find({"OLD", std::nullopt}).empty());
  EXPECT_EQ(Find({"P9", "HOSP_A"}).size(), 1u);
}

}  // namespace systole::adapters::contract
