"""Names and ethnicities for a diverse English town, by heritage group.

Each group gives forenames by sex and surnames; `ETHNIC_GROUPS` weights the groups roughly as
a northern English town of the 2021 Census, and maps each to the ONS broad group the police
record. Some names carry accents or apostrophes (Zoë, Siân, O'Brien, Łukasz), as real
feeds do, so the hub's name normalisation meets them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Heritage:
    key: str
    broad: str  # ONS broad ethnic group: White, Asian, Black, Mixed, Other
    weight: float
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]


# Data tables, laid out to be read as lists rather than one name a line.
# fmt: off
_BRITISH_SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Wilson", "Johnson", "Robinson", "Wright",
    "Thompson", "Walker", "White", "Hughes", "Edwards", "Green", "Hall", "Wood", "Harris",
    "Lewis", "Martin", "Jackson", "Clarke", "Clark", "Turner", "Hill", "Scott", "Cooper",
    "Morris", "Ward", "Moore", "King", "Watson", "Baker", "Harrison", "Morgan", "Patel",
    "Young", "Allen", "Mitchell", "Bell", "Atkinson", "Dixon", "Robson", "Armstrong",
    "Charlton", "Milburn", "Forster", "Elliott", "Nicholson", "Heslop", "Ridley",
    "Fenwick", "Carr", "Graham", "Stephenson", "Pearson", "Lambert", "Bainbridge",
    "Dobson", "Marshall", "Hutchinson", "Storey", "Dodds", "Swinburne", "Lowes",
)
BRITISH_YOUNG_MALE = (
    "Oliver", "Jack", "Harry", "George", "Noah", "Charlie", "Jacob", "Alfie", "Freddie",
    "Oscar", "Leo", "Logan", "Archie", "Theo", "Thomas", "James", "Joshua", "Mason",
    "Ethan", "Riley", "Tyler", "Kai", "Jayden", "Callum", "Liam", "Dylan", "Lewis",
    "Kyle", "Connor", "Reece", "Bailey", "Finley", "Max", "Lucas", "Jamie",
)
BRITISH_YOUNG_FEMALE = (
    "Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophia", "Grace", "Mia", "Poppy", "Ella",
    "Lily", "Evie", "Isabella", "Sophie", "Chloe", "Jessica", "Ruby", "Freya", "Holly",
    "Megan", "Lauren", "Courtney", "Leah", "Paige", "Millie", "Ellie", "Zoë", "Darcy",
    "Niamh", "Caitlin", "Abbie", "Erin", "Katie", "Amber",
)
BRITISH_OLDER_MALE = (
    "David", "John", "Paul", "Michael", "Andrew", "Mark", "Stephen", "Peter", "Robert",
    "Ian", "Gary", "Kevin", "Alan", "Brian", "Keith", "Graham", "Neil", "Colin", "Darren",
    "Lee", "Craig", "Stuart", "Anthony", "Christopher", "Richard", "Martin", "Steven",
)
BRITISH_OLDER_FEMALE = (
    "Susan", "Margaret", "Patricia", "Linda", "Elizabeth", "Julie", "Karen", "Tracey",
    "Joanne", "Claire", "Nicola", "Sarah", "Helen", "Amanda", "Lisa", "Dawn", "Angela",
    "Jacqueline", "Pauline", "Christine", "Gillian", "Wendy", "Alison", "Deborah",
    "Kelly", "Michelle", "Emma", "Rachel",
)

HERITAGES: tuple[Heritage, ...] = (
    Heritage("british", "White", 0.74, BRITISH_YOUNG_MALE, BRITISH_YOUNG_FEMALE,
             _BRITISH_SURNAMES),
    Heritage(
        "irish", "White", 0.02,
        ("Sean", "Ciarán", "Patrick", "Conor", "Declan", "Eoin", "Cillian", "Darragh"),
        ("Aoife", "Siobhán", "Niamh", "Róisín", "Ciara", "Orla", "Sinéad", "Saoirse"),
        ("O'Brien", "Murphy", "Kelly", "O'Neill", "Byrne", "Ryan", "McCarthy", "Doyle",
         "O'Connor", "Gallagher", "Fitzgerald", "Quinn"),
    ),
    Heritage(
        "polish", "White", 0.035,
        ("Jakub", "Kacper", "Szymon", "Filip", "Mateusz", "Łukasz", "Piotr", "Bartosz"),
        ("Zuzanna", "Julia", "Maja", "Zofia", "Hanna", "Wiktoria", "Agnieszka", "Natalia"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński",
         "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Mazur"),
    ),
    Heritage(
        "romanian", "White", 0.015,
        ("Andrei", "Alexandru", "Ionuț", "Mihai", "Stefan", "Gabriel", "Vlad", "Adrian"),
        ("Ioana", "Maria", "Elena", "Andreea", "Alexandra", "Bianca", "Denisa", "Daria"),
        ("Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Constantin", "Munteanu",
         "Gheorghe", "Rusu", "Matei"),
    ),
    Heritage(
        "pakistani", "Asian", 0.04,
        ("Muhammad", "Ibrahim", "Yusuf", "Zain", "Hamza", "Ayaan", "Bilal", "Usman", "Imran",
         "Adil", "Faisal", "Haris"),
        ("Aisha", "Maryam", "Fatima", "Zara", "Hafsa", "Iqra", "Amina", "Sana", "Noor",
         "Ayesha", "Khadija", "Mehwish"),
        ("Khan", "Hussain", "Ahmed", "Ali", "Iqbal", "Akhtar", "Shah", "Mahmood", "Rashid",
         "Butt", "Malik", "Qureshi", "Chaudhry", "Mirza"),
    ),
    Heritage(
        "indian", "Asian", 0.025,
        ("Arjun", "Rohan", "Aarav", "Vihaan", "Ravi", "Sanjay", "Harpreet", "Gurpreet",
         "Dev", "Nikhil", "Anil", "Jaspal"),
        ("Priya", "Anjali", "Simran", "Ananya", "Kiran", "Neha", "Pooja", "Jaspreet",
         "Meera", "Divya", "Sunita", "Rani"),
        ("Patel", "Sharma", "Singh", "Kaur", "Gill", "Sandhu", "Mistry", "Shah", "Chauhan",
         "Kumar", "Desai", "Joshi", "Bains", "Dhillon"),
    ),
    Heritage(
        "bangladeshi", "Asian", 0.015,
        ("Abdul", "Rahim", "Shahid", "Tanvir", "Rafiq", "Mahir", "Arif", "Sabbir"),
        ("Nusrat", "Fahmida", "Tahmina", "Shirin", "Jannat", "Sumaiya", "Rumana", "Ruksana"),
        ("Begum", "Miah", "Uddin", "Rahman", "Islam", "Hoque", "Ahmed", "Chowdhury",
         "Khatun", "Hossain"),
    ),
    Heritage(
        "chinese", "Asian", 0.01,
        ("Wei", "Jun", "Hao", "Ming", "Jian", "Kai", "Chen", "Yu"),
        ("Mei", "Li", "Xin", "Ying", "Hui", "Jing", "Lan", "Yan"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Wong", "Lee", "Cheung"),
    ),
    Heritage(
        "african", "Black", 0.025,
        ("Chinedu", "Oluwaseun", "Kwame", "Emeka", "Tendai", "Abdi", "Mohamed", "Kofi",
         "Tobi", "Daniel", "Samuel", "Joseph"),
        ("Chioma", "Ngozi", "Adaeze", "Amara", "Fadumo", "Hodan", "Ama", "Tolu", "Blessing",
         "Precious", "Esther", "Grace"),
        ("Okafor", "Adeyemi", "Mensah", "Osei", "Mohamed", "Abdi", "Warsame", "Nwosu",
         "Okonkwo", "Boateng", "Asante", "Mutasa", "Ogunleye", "Eze"),
    ),
    Heritage(
        "caribbean", "Black", 0.012,
        ("Marcus", "Tyrone", "Jermaine", "Andre", "Kieran", "Jordan", "Nathan", "Dwayne"),
        ("Shanice", "Jada", "Tia", "Keisha", "Aaliyah", "Monique", "Kayla", "Alicia"),
        ("Campbell", "Williams", "Thomas", "Brown", "Richards", "Francis", "Henry",
         "Morrison", "Bailey", "Reid"),
    ),
    Heritage(
        "mixed", "Mixed", 0.038,
        ("Tyler", "Jayden", "Kai", "Marcus", "Elijah", "Zak", "Malik", "Reuben", "Jordan",
         "Isaac"),
        ("Leah", "Jada", "Maya", "Imani", "Aaliyah", "Tia", "Nia", "Skye", "Layla", "Amira"),
        _BRITISH_SURNAMES[:20] + ("Campbell", "Okafor", "Khan", "Williams", "Mensah"),
    ),
    Heritage(
        "arab", "Other", 0.015,
        ("Omar", "Ahmad", "Khalid", "Tariq", "Samir", "Karim", "Youssef", "Hassan"),
        ("Layla", "Yasmin", "Nadia", "Huda", "Rania", "Salma", "Leila", "Dina"),
        ("Al-Sayed", "Haddad", "Nasser", "Hamdan", "Mansour", "Saleh", "Aziz", "Khalil",
         "Darwish", "Hamid"),
    ),
    Heritage(
        "other", "Other", 0.01,
        ("Ali", "Reza", "Dara", "Arash", "Kamal", "Nguyen", "Minh", "Hiro"),
        ("Shirin", "Parisa", "Laleh", "Linh", "Mai", "Yuki", "Sofia", "Ana"),
        ("Rahimi", "Karimi", "Ahmadi", "Nguyen", "Tran", "Pham", "Santos", "Silva",
         "Tanaka", "Hosseini"),
    ),
)
# fmt: on
_WEIGHTS = tuple(h.weight for h in HERITAGES)


def heritage(rng: random.Random) -> Heritage:
    return rng.choices(HERITAGES, weights=_WEIGHTS)[0]


def forename(rng: random.Random, group: Heritage, sex: str, born_year: int) -> str:
    if group.key == "british" and born_year < 1985:
        pool = BRITISH_OLDER_MALE if sex == "male" else BRITISH_OLDER_FEMALE
    else:
        pool = group.male if sex == "male" else group.female
    return rng.choice(pool)


def surname(rng: random.Random, group: Heritage) -> str:
    return rng.choice(group.surnames)
