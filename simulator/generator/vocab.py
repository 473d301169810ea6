"""Word lists for synthetic Indian bank statements: banks, people, employers, merchants, lenders, error codes."""

from __future__ import annotations

# bank_name -> (full_bank_name, IFSC prefix, MICR bank code)
BANKS = {
    "sbi": ("State Bank Of India", "SBIN", "002"),
    "hdfc": ("HDFC Bank", "HDFC", "240"),
    "icici": ("ICICI Bank", "ICIC", "229"),
    "axis": ("Axis Bank", "UTIB", "211"),
    "kotak": ("Kotak Mahindra Bank", "KKBK", "485"),
    "pnb": ("Punjab National Bank", "PUNB", "024"),
    "bob": ("Bank of Baroda", "BARB", "012"),
    "yesbank": ("Yes Bank", "YESB", "532"),
    "idfc": ("IDFC First Bank", "IDFB", "751"),
    "indusind": ("IndusInd Bank", "INDB", "234"),
    "canara": ("Canara Bank", "CNRB", "015"),
    "union": ("Union Bank of India", "UBIN", "026"),
    "iob": ("Indian Overseas Bank", "IOBA", "020"),
    "federal": ("Federal Bank", "FDRL", "049"),
}
BANK_NAMES = tuple(BANKS)

FIRST_NAMES = (
    "ASHA", "RAVI", "PRIYA", "ARJUN", "SUNITA", "VIKRAM", "NEHA", "RAHUL", "ANITA", "SURESH", "KAVYA",
    "MANOJ", "DEEPA", "KARTHIK", "POOJA", "AMIT", "LAKSHMI", "ROHAN", "SNEHA", "IMRAN", "FATIMA",
    "GURPREET", "MEERA", "ANAND", "DIVYA", "SANJAY", "REKHA", "NIKHIL", "JOSEPH", "AYESHA",
)
LAST_NAMES = (
    "KUMAR", "SHARMA", "IYER", "REDDY", "NAIR", "PATEL", "SINGH", "GUPTA", "MENON", "DAS", "JOSHI",
    "RAO", "KHAN", "MUKHERJEE", "PILLAI", "DESAI", "CHOPRA", "BANERJEE", "SHETTY", "VERMA", "SAYYED",
)
BUSINESS_NAMES = (
    "SHREE GANESH TRADERS", "ACME TECHNOLOGIES PVT LTD", "SAI KRISHNA ENTERPRISES", "BHARAT AUTO PARTS",
    "GREENLEAF ORGANICS LLP", "MAHALAXMI TEXTILES", "NAVKAR STEEL CORPORATION", "SUNRISE MEDICALS",
    "KAVERI FOODS PVT LTD", "ORBIT LOGISTICS", "PRAGATI CONSTRUCTIONS", "ZENITH ELECTRICALS",
)
EMPLOYERS = (
    "INFOSYS LIMITED", "TATA CONSULTANCY SERVICES", "WIPRO LIMITED", "HCL TECHNOLOGIES", "MUTHOOT FINANCE",
    "RELIANCE RETAIL LTD", "ZOMATO LIMITED", "FLIPKART INTERNET PVT LTD", "LARSEN AND TOUBRO",
    "APOLLO HOSPITALS", "MAHINDRA AND MAHINDRA", "BAJAJ AUTO LTD", "ASIAN PAINTS LTD", "TECH MAHINDRA",
)
CITIES = (
    "BENGALURU", "MUMBAI", "DELHI", "CHENNAI", "HYDERABAD", "PUNE", "KOLKATA", "AHMEDABAD", "JAIPUR",
    "KOCHI", "LUCKNOW", "INDORE",
)
STREETS = ("MG ROAD", "STATION ROAD", "GANDHI NAGAR", "NEHRU STREET", "LAKE VIEW", "PARK AVENUE", "TEMPLE ROAD")
STATES = {
    "BENGALURU": "KARNATAKA", "MUMBAI": "MAHARASHTRA", "DELHI": "DELHI", "CHENNAI": "TAMIL NADU",
    "HYDERABAD": "TELANGANA", "PUNE": "MAHARASHTRA", "KOLKATA": "WEST BENGAL", "AHMEDABAD": "GUJARAT",
    "JAIPUR": "RAJASTHAN", "KOCHI": "KERALA", "LUCKNOW": "UTTAR PRADESH", "INDORE": "MADHYA PRADESH",
}

# merchant_category -> (merchants, expense category label, relative ticket size)
MERCHANTS = {
    "groceries": (("BIGBASKET", "DMART", "RELIANCE FRESH", "MORE SUPERMARKET", "ZEPTO", "BLINKIT"), "Groceries", 0.6),
    "food": (("SWIGGY", "ZOMATO", "DOMINOS PIZZA", "CAFE COFFEE DAY", "HALDIRAMS"), "Food", 0.35),
    "shopping": (("AMAZON", "FLIPKART", "MYNTRA", "AJIO", "NYKAA", "CROMA"), "Shopping", 1.5),
    "fuel": (("INDIAN OIL", "HP PETROL PUMP", "BHARAT PETROLEUM", "SHELL INDIA"), "Fuel", 0.9),
    "entertainment": (("BOOKMYSHOW", "NETFLIX", "PVR CINEMAS", "SPOTIFY"), "Entertainment", 0.5),
    "medical": (("APOLLO PHARMACY", "MEDPLUS", "PRACTO", "1MG TECHNOLOGIES"), "Medical", 0.7),
    "travel": (("IRCTC", "MAKEMYTRIP", "UBER INDIA", "OLA CABS", "INDIGO AIRLINES", "REDBUS"), "Travel", 1.2),
    "bills": (("AIRTEL", "JIO", "BESCOM", "TATA POWER", "ACT FIBERNET", "MAHANAGAR GAS"), "Bills", 0.8),
    "ewallet": (("PAYTM WALLET", "PHONEPE WALLET", "AMAZON PAY"), "Wallet", 0.4),
    "insurance": (("LIC OF INDIA", "HDFC ERGO", "STAR HEALTH"), "Insurance", 2.0),
    "investments": (("ZERODHA BROKING", "GROWW", "HDFC MUTUAL FUND", "ICICI PRU MF"), "Investments", 2.0),
    "alcohol": (("TONIQUE WINES", "LIVING LIQUIDZ"), "Alcohol", 0.8),
    "gambling": (("DREAM11", "MPL GAMES"), "Gaming", 0.5),
    "bnpl": (("SIMPL", "LAZYPAY", "ZESTMONEY"), "BNPL", 0.6),
}
SPEND_CATEGORIES = ("groceries", "food", "shopping", "fuel", "entertainment", "medical", "travel", "ewallet")
SPEND_WEIGHTS = (22, 20, 14, 10, 6, 6, 8, 4)

LENDERS = (
    "BAJAJ FINANCE LTD", "HDFC BANK LOANS", "TATA CAPITAL", "MUTHOOT FINANCE", "KREDITBEE", "FULLERTON INDIA",
    "IDFC FIRST LOANS", "HOME CREDIT INDIA",
)
BILLERS = {"telco_bill": ("AIRTEL", "JIO", "VI"), "electric_bill": ("BESCOM", "TATA POWER", "MSEDCL", "TNEB")}
LANDLORDS = ("RAJESH AGARWAL", "MEENAKSHI PROPERTIES", "SURESH BHAT", "KAMALA DEVI")

ACCOUNT_ERRORS = {
    "MISSING_TRANSACTIONS": "Transactions are missing in the statement",
    "INCOMPLETE_MONTHS": "Statement does not cover all the requested months",
    "NULL_ACCOUNT_NUMBER": "Account number could not be extracted",
    "BALANCE_MISMATCH": "Running balances in the statement do not add up",
    "INCOMPLETE_MONTHS_UPLOAD": "Uploaded statements do not cover all the requested months",
    "INCOMPLETE_DATES_UPLOAD": "Uploaded statements do not cover all the requested dates",
    "UNPARSABLE": "Failed to process because of an unparsable statement",
}
STATEMENT_ERRORS = {
    "PASSWORD_INCORRECT": "Incorrect password for the statement",
    "BANK_NAME_MISMATCH": "Bank in the statement does not match the selected bank",
    "STATEMENT_UNSUPPORTED_FORMAT": "Statement format is not supported",
    "STATEMENT_DUPLICATE": "Statement was already uploaded",
    "NULL_ACCOUNT_NUMBER": "Account number could not be extracted",
    "STATEMENT_TOO_MANY_PAGES": "Statement has too many pages",
    "NO_TRANSACTIONS_FROM_AA": "No transactions received from the account aggregator",
    "UNPARSABLE": "Failed to process because of an unparsable statement",
    "PDF_IS_IMAGE": "Statement PDF is a scanned image",
    "EXTRACTION_FAILED": "Transactions could not be extracted",
    "OUT_OF_DATE_RANGE": "Statement is outside the requested date range",
    "STATEMENT_NO_TRANSACTIONS": "Statement has no transactions",
    "BANK_NAME_UNDETECTED": "Bank could not be detected from the statement",
}

# Fraud types with their category; the upstream list is not public, these are the documented ones and a few more.
FRAUD_TYPES = (
    ("author_fraud", "metadata"),
    ("date_fraud", "metadata"),
    ("inconsistent_transaction", "accounting"),
    ("transaction_fraud", "behavioural"),
)
