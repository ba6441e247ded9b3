// The store tests' main: registers the PostgreSQL server environment.
#include <gtest/gtest.h>

#include "postgres_server.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new telemark::store::testing::PostgresServer);
  return RUN_ALL_TESTS();
}
