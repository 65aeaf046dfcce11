-- The virtio 1.x PCI common configuration structure (virtio spec 1.2, 4.1.4.3
-- "struct virtio_pci_common_cfg"), as a barlua register map: names the accesses of
-- virtio-pci-probe-6.1.txt (host, TraceTests) and of the guest's own recording
-- (Tests/guest/64-mmiotrace.lua). QEMU puts this structure at offset 0 of the modern BAR.
local regs = require "barlua.regs"
return regs.define{name = "common", registers = {
  {name = "device_feature_select", offset = 0x00, width = 32, access = "rw"},
  {name = "device_feature", offset = 0x04, width = 32, access = "ro"},
  {name = "driver_feature_select", offset = 0x08, width = 32, access = "rw"},
  {name = "driver_feature", offset = 0x0c, width = 32, access = "rw"},
  {name = "config_msix_vector", offset = 0x10, width = 16, access = "rw"},
  {name = "num_queues", offset = 0x12, width = 16, access = "ro"},
  {name = "device_status", offset = 0x14, width = 8, access = "rw",
   fields = {acknowledge = {bit = 0}, driver = {bit = 1}, driver_ok = {bit = 2}, features_ok = {bit = 3}}},
  {name = "config_generation", offset = 0x15, width = 8, access = "ro"},
  {name = "queue_select", offset = 0x16, width = 16, access = "rw"},
  {name = "queue_size", offset = 0x18, width = 16, access = "rw"},
  {name = "queue_msix_vector", offset = 0x1a, width = 16, access = "rw"},
  {name = "queue_enable", offset = 0x1c, width = 16, access = "rw"},
  {name = "queue_notify_off", offset = 0x1e, width = 16, access = "ro"},
  {name = "queue_desc", offset = 0x20, width = 64, access = "rw"},
  {name = "queue_driver", offset = 0x28, width = 64, access = "rw"},
  {name = "queue_device", offset = 0x30, width = 64, access = "rw"},
}}
