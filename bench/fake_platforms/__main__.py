from bench.fake_platforms.app import main

main()
