# The devices of memslot's QEMU: a Q35 machine with virtio, virtio-mem and
# vfio-pci, nothing else (tools/qemu/build.sh).
CONFIG_Q35=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_SERIAL=y
CONFIG_VIRTIO_NET=y
CONFIG_VIRTIO_MEM=y
CONFIG_VFIO_PCI=y
