-- release: KEYS[1] the reservation's hash; ARGV[1] key prefix, ARGV[2] reservation id.
release_reservation(ARGV[1], ARGV[2], KEYS[1])
return 1
