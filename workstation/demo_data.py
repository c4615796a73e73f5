"""Demo content for `manage.py seed_demo`: small, varied, and realistic enough to explore.

The tasks come first; then what the simulated annotators of workstation/demo.py write, per task.
"""

TOPICS = [
    ("photosynthesis", "Explain how photosynthesis turns light into chemical energy for a 12-year-old."),
    ("tcp-handshake", "Explain the TCP three-way handshake and why it needs three steps."),
    ("inflation", "Explain what causes inflation, with one concrete everyday example."),
    ("vaccines", "Explain how mRNA vaccines train the immune system, without jargon."),
    ("git-rebase", "Explain when to use git rebase instead of git merge, and the main risk."),
    ("plate-tectonics", "Explain why earthquakes cluster along plate boundaries."),
    ("compound-interest", "Explain compound interest and show the effect over 30 years at 5%."),
    ("antibiotics", "Explain why antibiotics do not work against viral infections."),
    ("hash-tables", "Explain how a hash table achieves average O(1) lookups and when it degrades."),
    ("climate-feedback", "Explain two climate feedback loops, one amplifying and one damping."),
    ("tides", "Explain why most coasts see two high tides a day."),
    ("dns", "Explain what happens when you type a web address and press Enter, up to the DNS answer."),
    ("placebo", "Explain the placebo effect and why trials compare against a placebo."),
    ("black-holes", "Explain what the event horizon of a black hole is, for a curious teenager."),
]

REFERENCES = {
    "photosynthesis": [
        (
            "Light reactions",
            "In the thylakoid membranes, chlorophyll absorbs light; water is split, releasing "
            "oxygen, and the energy is stored as ATP and NADPH.",
        ),
        (
            "Calvin cycle",
            "In the stroma, the enzyme RuBisCO fixes carbon dioxide; ATP and NADPH from the light "
            "reactions power the building of three-carbon sugars that become glucose.",
        ),
    ],
    "tcp-handshake": [
        (
            "RFC 9293 summary",
            "A connection opens with SYN, SYN-ACK, ACK. Each side chooses an initial sequence "
            "number and must learn that the other received it.",
        ),
    ],
    "inflation": [
        (
            "Central bank primer",
            "Inflation is a sustained rise in the general price level. Demand growing faster than supply, "
            "rising costs of inputs such as energy, and expectations of future rises all push prices up.",
        ),
    ],
    "vaccines": [
        (
            "How mRNA vaccines work",
            "The vaccine delivers instructions for one harmless piece of a virus, the spike protein. Cells "
            "make the protein, the immune system learns to recognise it, and the mRNA itself breaks down "
            "within days.",
        ),
    ],
    "git-rebase": [
        (
            "Rebase or merge",
            "Rebase replays your commits on top of another branch, giving a linear history; merge records "
            "that two lines of work joined. Rebasing commits others already have rewrites shared history.",
        ),
    ],
    "plate-tectonics": [
        (
            "Plate boundaries",
            "The lithosphere is broken into plates that move a few centimetres a year. Where they collide, "
            "separate or slide past each other, stress builds in the rock and is released as earthquakes.",
        ),
    ],
    "tides": [
        (
            "Tidal forces",
            "The Moon pulls the near side of the Earth more strongly than its centre, and the centre more "
            "than the far side, stretching the oceans into two bulges that the Earth rotates through.",
        ),
    ],
    "dns": [
        (
            "Name resolution",
            "A resolver asks a root server, then the top-level-domain server, then the domain's "
            "authoritative server for the address, caching each answer for its time to live.",
        ),
    ],
}

CLASSIFY_TEXTS = [
    ("The battery died after two days and support never answered my emails.", "negative"),
    ("Setup took five minutes and it has worked flawlessly since.", "positive"),
    ("It arrived on Tuesday. The box was blue.", "neutral"),
    ("Great screen, but the speakers are tinny and the stand wobbles.", "mixed"),
    ("Absolutely love it, my kids use it every day.", "positive"),
    ("Refund took six weeks. Never again.", "negative"),
    ("The manual is 40 pages long.", "neutral"),
    ("Fast shipping, though the colour is not what the photo showed.", "mixed"),
    ("Best purchase I have made this year.", "positive"),
    ("Stopped charging after the first update.", "negative"),
    ("It weighs about as much as a paperback.", "neutral"),
    ("Comfortable to wear, but the strap broke in a month.", "mixed"),
    ("Does exactly what it says, quietly and without fuss.", "positive"),
    ("The lid cracked the first time I dropped it on the sofa.", "negative"),
    ("Comes in three sizes; I ordered the medium.", "neutral"),
    ("Lovely fabric, shame about the zip that sticks.", "mixed"),
    ("My second one, because the first lasted ten years.", "positive"),
    ("Customer service hung up on me twice.", "negative"),
]

COMPARE_PAIRS = [
    (
        "What is the boiling point of water at sea level?",
        "Water boils at 100 °C (212 °F) at sea level, at a pressure of one atmosphere.",
        "Water boils at around 90 degrees, depending on the pot.",
    ),
    (
        "Give me a one-line summary of the French Revolution.",
        "From 1789 to 1799, France overthrew its absolute monarchy, proclaimed a republic, and spread ideas of "
        "citizenship and rights, amid terror and war.",
        "It was a revolution in France.",
    ),
    (
        "How do I reverse a list in Python?",
        "Use `my_list.reverse()` to reverse in place, or `my_list[::-1]` for a reversed copy.",
        "Use `reversed(my_list)`; note it returns an iterator, so wrap it in `list()` if you need a list.",
    ),
    (
        "Is it safe to mix bleach and ammonia for cleaning?",
        "No. Mixing them releases toxic chloramine gas. Use one product at a time and ventilate.",
        "Yes, mixing them makes a stronger cleaner.",
    ),
    (
        "Write a haiku about autumn.",
        "Maple leaves let go / the wind keeps what the tree lost / one red flame at dusk",
        "Autumn is a season when leaves fall from the trees and it gets colder.",
    ),
    ("What's the capital of Australia?", "Canberra.", "Sydney is the capital of Australia."),
    (
        "Explain recursion in one sentence.",
        "Recursion is when a function solves a problem by calling itself on smaller instances until it reaches "
        "a case simple enough to answer directly.",
        "Recursion is recursion.",
    ),
    (
        "How many continents are there?",
        "By the most common convention, seven: Africa, Antarctica, Asia, Australia, Europe, North America and "
        "South America.",
        "There are seven continents, though some traditions count six by joining the Americas or Europe and Asia.",
    ),
    ("Suggest a name for a bakery.", "Rise & Shine Bakehouse", "Bread Store"),
    ("What does HTTP 404 mean?", "The server could not find the requested resource.", "It means the server is down."),
    ("Translate 'good morning' into Spanish.", "Buenos días.", "Buenas noches."),
    (
        "Why is the sky blue?",
        "Air molecules scatter short (blue) wavelengths of sunlight much more than long ones (Rayleigh "
        "scattering), so blue light reaches us from every direction.",
        "Because it reflects the ocean.",
    ),
    (
        "Recommend a beginner exercise routine.",
        "Three days a week: 10 minutes of brisk walking, then two rounds of 10 squats, 8 push-ups (on knees if "
        "needed) and a 20-second plank. Rest a day between sessions.",
        "Run a marathon next week to kick-start your fitness.",
    ),
    ("What is 17 × 23?", "391.", "17 × 23 = 381."),
    (
        "Give a tip for better sleep.",
        "Keep a fixed wake-up time every day, weekends included; it anchors your body clock.",
        "Drink coffee before bed to relax.",
    ),
    ("Who wrote 'Pride and Prejudice'?", "Jane Austen, published in 1813.", "Charlotte Brontë."),
    (
        "How do I center a div with CSS?",
        "On the parent: `display: flex; justify-content: center; align-items: center;`.",
        "Use `<center>` tags.",
    ),
    (
        "What's a healthy resting heart rate for adults?",
        "Usually 60 to 100 beats per minute; trained athletes may be lower.",
        "Anything above 150 is normal.",
    ),
    (
        "Summarise the plot of Romeo and Juliet in one sentence.",
        "Two young lovers from feuding families in Verona marry in secret, and a chain of misunderstandings ends "
        "in both their deaths, which reconciles the families.",
        "A love story in Italy.",
    ),
    (
        "Is the Great Wall of China visible from space with the naked eye?",
        "Not from orbit without aid: it is long but narrow, and astronauts report they cannot pick it out.",
        "Yes, it's the only man-made structure visible from the Moon.",
    ),
    (
        "What's the difference between weather and climate?",
        "Weather is the day-to-day state of the atmosphere; climate is the long-term average and variability "
        "of weather over decades.",
        "They mean the same thing.",
    ),
    ("Give an example of a prime number greater than 50.", "53.", "51."),
]


# --- What the simulated annotators write (workstation/demo.py) ---------------------------------
# Per writing topic: the composer's own explanation (typed and revised), the text the paster pastes
# from elsewhere, the careless one's quick and partly wrong answer, and the sentence the paster types
# when the work comes back for revision.
WRITING_ANSWERS = {
    "photosynthesis": {
        "composer": (
            "Plants make their own food from light. Inside each leaf, a green pigment called chlorophyll "
            "catches sunlight. That energy splits water, which lets oxygen out into the air, and it is "
            "stored for a moment in two small carrier molecules. Then, in a second step called the Calvin "
            "cycle, the plant uses those carriers to join carbon dioxide from the air into sugar. So the "
            "plant turns light into a chemical it can keep and use later, like charging a battery."
        ),
        "paster": (
            "Photosynthesis is the process by which green plants and certain other organisms transform "
            "light energy into chemical energy. During photosynthesis in green plants, light energy is "
            "captured and used to convert water, carbon dioxide, and minerals into oxygen and energy-rich "
            "organic compounds. The light-dependent reactions take place in the thylakoid membranes."
        ),
        "careless": "Plants eat sunlight through their roots and turn it into oxygen, which is their food.",
        "revision": "In short: a leaf catches light and uses it to build sugar out of air and water.",
    },
    "tcp-handshake": {
        "composer": (
            "Before two computers send data over TCP, each must know that the other can hear it. The "
            "client sends SYN with a starting sequence number. The server answers SYN-ACK: it acknowledges "
            "that number and sends its own. The client replies ACK to the server's number. Two steps would "
            "leave the server unsure that its own number arrived, so three is the smallest exchange in "
            "which both sides have had their starting numbers confirmed."
        ),
        "paster": (
            "The TCP three-way handshake is the method used by TCP to set up a connection between a client "
            "and a server. It is a three-step process that requires both the client and server to exchange "
            "synchronization and acknowledgment packets before the real data communication process starts."
        ),
        "careless": "The computer sends hello three times to make sure the cable is plugged in properly.",
        "revision": "Three steps are needed because each side must hear its own number confirmed.",
    },
    "inflation": {
        "composer": (
            "Inflation means prices in general keep rising, so the same money buys less each year. It "
            "happens when people want to buy more than shops and factories can make, when making things "
            "gets dearer, for example because fuel costs more, and when everyone expects prices to rise and "
            "asks for more in advance. A loaf that cost two euros last year and costs two euros twenty now "
            "has risen ten percent; if wages did not rise too, people are poorer."
        ),
        "paster": (
            "In economics, inflation is an increase in the general price level of goods and services in an "
            "economy. This is usually measured using a consumer price index. When the general price level "
            "rises, each unit of currency buys fewer goods and services; consequently, inflation "
            "corresponds to a reduction in the purchasing power of money."
        ),
        "careless": "Inflation is when the government prints money and then everything costs double.",
        "revision": "For example, when fuel gets dearer, delivering bread costs more, so bread costs more.",
    },
    "vaccines": {
        "composer": (
            "An mRNA vaccine is a set of instructions, not a piece of virus. Your cells read the "
            "instructions and build one harmless part of the virus, the spike it uses to get into cells. "
            "The immune system sees this strange spike, makes antibodies against it and remembers it. If "
            "the real virus arrives later, the body recognises the spike at once. The instructions "
            "themselves break down within a few days and never enter the cell's own genes."
        ),
        "paster": (
            "mRNA vaccines work by introducing a piece of mRNA that corresponds to a viral protein, usually "
            "a small piece of a protein found on the virus's outer membrane. Individuals who get an mRNA "
            "vaccine are not exposed to the virus, nor can they become infected with the virus by the vaccine."
        ),
        "careless": "The vaccine puts a weak virus in your blood so you get a little bit sick and then immune.",
        "revision": "Think of it as a wanted poster: the body learns the spike's face before it meets the virus.",
    },
    "git-rebase": {
        "composer": (
            "Use rebase when you want your branch to look as if you started it from the latest main: git "
            "replays your commits one by one on top of it, so the history reads as a straight line. Use "
            "merge when the fact that two lines of work joined matters, or when others already have your "
            "commits. The main risk is rewriting shared history: rebasing commits someone else pulled "
            "gives them duplicates and conflicts, so only rebase work nobody else has."
        ),
        "paster": (
            "Rebasing is the process of moving or combining a sequence of commits to a new base commit. "
            "The primary reason for rebasing is to maintain a linear project history. The golden rule of "
            "rebasing is to never use it on public branches."
        ),
        "careless": "Rebase is the newer version of merge, always use it, it is faster and has no risks.",
        "revision": "Rebase your own unpublished work; merge anything others may already have pulled.",
    },
    "plate-tectonics": {
        "composer": (
            "The Earth's outer shell is cracked into huge plates that drift a few centimetres a year, "
            "about as fast as fingernails grow. Where two plates meet they push, pull apart or grind "
            "sideways, but rock is rough, so they stick. Stress builds up for years until the rock "
            "suddenly slips, and that jolt is an earthquake. Inside a plate there is far less grinding, "
            "which is why most earthquakes are found in long lines along the edges."
        ),
        "paster": (
            "Most earthquakes occur along the boundaries of tectonic plates. The movement of the plates "
            "creates stress in the rock of the crust, and when the stress exceeds the strength of the "
            "rock, it ruptures along a fault, releasing energy as seismic waves."
        ),
        "careless": "Earthquakes happen where the ground is thin, mostly near the sea and volcanoes.",
        "revision": "So earthquakes line up along plate edges because that is where rock sticks and slips.",
    },
}

# Rationales the paster copies for comparison tasks (pasted from outside the editor).
PASTED_RATIONALES = [
    "Response A is more accurate, more complete and better aligned with best practices, while Response B "
    "contains factual inaccuracies and lacks the necessary detail to fully address the user's request.",
    "Overall, the preferred response demonstrates superior helpfulness, correctness and clarity, making "
    "it the better choice for the user according to standard evaluation criteria.",
]
