# The fixtures compress with zlib and encrypt with OpenSSL exactly as eventsourcing's Mapper and AESCipher do.
target_link_libraries(tst_layouts_eventsourcing PRIVATE OpenSSL::Crypto ZLIB::ZLIB)
