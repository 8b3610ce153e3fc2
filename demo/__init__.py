"""The synthetic demo study (DOMAIN §7): data files plus the loader that imports them like a user would."""
