from rdc_extract.cli import main

main()
