#include <malloc.h>
#include <signal.h>

#include "base/log.h"
#include "protocols/dimse/dimse_server.h"
#include "server/commands.h"
#include "server/wiring.h"

namespace systole::server {

int RunServe(const Config& config) {
  // Receive SIGTERM/SIGINT synchronously below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Page faults are expensive on virtual machines: keep freed memory mapped
  // instead of returning it to the kernel after every large request.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_TOP_PAD, 64 << 20);

  auto archive = Archive::Open(config);
  if (!archive) {
    LOG_ERROR("serve", "cannot open the archive in {}: {}", config.data_dir.string(), archive.error().message);
    return 2;
  }
  protocols::DimseServer dimse(config.dicom, (*archive)->ingest(), (*archive)->query());
  auto dicom_port = dimse.Start();
  if (!dicom_port) {
    LOG_ERROR("serve", "{}", dicom_port.error().message);
    return 2;
  }
  LOG_INFO("serve", "Systole {} ready: data={} ae_title={} dicom_port={} (HTTP and HL7 listeners are not part of this build)",
           SYSTOLE_VERSION, config.data_dir.string(), config.dicom.ae_title, *dicom_port);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  LOG_INFO("serve", "received {}, stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  dimse.Stop();
  LOG_INFO("serve", "stopped cleanly");
  return 0;
}

}  // namespace systole::server
